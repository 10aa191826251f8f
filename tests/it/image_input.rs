//! A real photo becomes the `uint8 [-1, 300, 300, 3]` tensor of the bundled example's signature,
//! and agrees with what PIL + numpy make of it (tests/fixtures/make_image_reference.py).

use crate::common::repo;
use mlmodel_inspector::input::image::{self, ImageOptions, ImageTarget};
use mlmodel_inspector::input::tensor::Tensor;
use mlmodel_inspector::model;

#[test]
fn the_sample_photo_becomes_the_example_models_input_like_pil_makes_it() {
    let card = model::open(&repo("assets/example-model")).unwrap();
    let inputs = card.signature.valid().unwrap().inputs.clone().unwrap();
    let model::signature::Spec::Tensor(spec) = &inputs.specs[0] else {
        panic!()
    };
    let target = ImageTarget::from_spec(spec).unwrap();
    let photo = image::decode(&repo("assets/sample-china.jpg")).unwrap();
    let tensor =
        image::images_to_tensor(&[photo], &target, &ImageOptions::for_target(&target)).unwrap();
    assert_eq!(tensor.shape(), &[1, 300, 300, 3]);
    assert_eq!(tensor.dtype(), "uint8");
    let Tensor::U8(ours) = tensor else { panic!() };

    let pil = ::image::open(repo("tests/fixtures/images/china_300_pil.png"))
        .unwrap()
        .to_rgb8();
    let mut total = 0u64;
    let mut worst = 0u8;
    for (x, y, p) in pil.enumerate_pixels() {
        for c in 0..3 {
            let d = ours[[0, y as usize, x as usize, c]].abs_diff(p.0[c]);
            total += d as u64;
            worst = worst.max(d);
        }
    }
    let mean = total as f64 / (300.0 * 300.0 * 3.0);
    eprintln!("difference from PIL: mean {mean:.3} levels, largest {worst}");
    // Same bicubic resize; JPEG decoders and filter details differ by a level or two.
    assert!(mean < 1.0, "mean difference {mean} levels from PIL");
    assert!(worst < 16, "largest difference {worst} levels from PIL");
}

#[test]
fn unreadable_images_name_the_file() {
    let e = image::decode(&repo("assets/example-model/MLmodel"))
        .unwrap_err()
        .to_string();
    assert!(
        e.ends_with(
            "example-model/MLmodel: not an image this app reads (JPEG, PNG, WebP, BMP, TIFF or GIF)"
        ),
        "{e}"
    );
    let e = image::decode(&repo("nope.png")).unwrap_err().to_string();
    assert!(e.contains("nope.png: cannot read"), "{e}");
}
