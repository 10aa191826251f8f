//! Performance helpers shared by the library and both front ends: spreading a batch over the
//! machine's cores (image decoding, per-item ONNX runs) and percentiles of timings (`predict
//! --repeat`, the window's frame stats).

/// Maps `items` in contiguous chunks, one scoped thread per core (never more threads than
/// items), and returns the results in item order; the first error wins. A worker that panics
/// counts as the error `panicked()` gives.
pub fn map_on_cores<T, R, E>(
    items: &[T],
    work: impl Fn(&[T]) -> Result<Vec<R>, E> + Sync,
    panicked: impl Fn() -> E,
) -> Result<Vec<R>, E>
where
    T: Sync,
    R: Send,
    E: Send,
{
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .clamp(1, items.len().max(1));
    let chunk = items.len().div_ceil(workers).max(1);
    let work = &work;
    let parts: Vec<Result<Vec<R>, E>> = std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || work(part)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(panicked())))
            .collect()
    });
    let mut out = Vec::with_capacity(items.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

/// The `q` quantile (0..=1) of sorted samples by nearest rank; 0 for no samples.
pub fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    let i = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1)) - 1;
    sorted.get(i).copied().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_item_order_and_the_first_error_wins() {
        let items: Vec<u32> = (0..37).collect();
        let doubled = map_on_cores(
            &items,
            |part| Ok::<_, String>(part.iter().map(|x| x * 2).collect()),
            || "panicked".to_string(),
        )
        .unwrap();
        assert_eq!(doubled, (0..37).map(|x| x * 2).collect::<Vec<_>>());
        let failed = map_on_cores(
            &items,
            |part| match part.iter().find(|&&x| x == 20) {
                Some(x) => Err(format!("item {x}")),
                None => Ok(part.to_vec()),
            },
            || "panicked".to_string(),
        );
        assert_eq!(failed, Err("item 20".to_string()));
        let none: Vec<u32> =
            map_on_cores(&[], |p: &[u32]| Ok::<_, String>(p.to_vec()), String::new).unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let samples: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(nearest_rank(&samples, 0.5), 10.0);
        assert_eq!(nearest_rank(&samples, 0.95), 19.0);
        assert_eq!(nearest_rank(&samples, 1.0), 20.0);
        assert_eq!(nearest_rank(&[], 0.5), 0.0);
    }
}
