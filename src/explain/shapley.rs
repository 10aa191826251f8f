//! Shapley values of one row against a background, from model calls alone: exact over every
//! coalition (at most [`MAX_EXACT`] features), or by sampled permutations past that. A
//! coalition S is valued as shap's Independent masker values it: the mean answer over the
//! background rows with the features of S taken from the explained row.

use serde_json::Value;

/// The most features explained exactly (2^M coalitions, each over every background row).
pub const MAX_EXACT: usize = 10;

/// How the values were found.
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    /// From every coalition.
    Exact,
    /// From sampled permutations (each with its reverse), with a seed; `bound` is the
    /// largest feature's 95% half-width (1.96 standard errors of its mean).
    Sampled {
        /// Permutations walked (half of them the reverses of the others).
        permutations: usize,
        /// The seed of the sampling.
        seed: u64,
        /// The largest 95% half-width of a feature's value.
        bound: f64,
    },
}

/// Shapley values of one row.
#[derive(Debug, Clone, PartialEq)]
pub struct Shapley {
    /// One per feature, in the row's order.
    pub values: Vec<f64>,
    /// The mean answer over the background (the empty coalition).
    pub base_value: f64,
    /// The answer for the row itself (the full coalition).
    pub prediction: f64,
    /// How the values were found.
    pub method: Method,
    /// Rows the model was asked about.
    pub rows_predicted: usize,
}

/// The model as the engine sees it: batches of rows in (at most `batch` rows each, at most
/// `wave` batches a call: an endpoint may answer them at once), one number per row out (the
/// chosen class's score, a regression's value), batch by batch.
pub type Model<'a, E> = dyn FnMut(Vec<Vec<Vec<Value>>>) -> Result<Vec<Vec<f64>>, E> + 'a;

/// Rows to model in batches of `batch`, `wave` batches a call; the answers in order.
fn ask_in_waves<E>(
    rows: Vec<Vec<Value>>,
    batch: usize,
    wave: usize,
    model: &mut Model<'_, E>,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<f64>, E> {
    let mut answers = Vec::with_capacity(rows.len());
    let mut batches: Vec<Vec<Vec<Value>>> = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        batches.push(rows.by_ref().take(batch.max(1)).collect());
        if batches.len() >= wave.max(1) || rows.peek().is_none() {
            let count: usize = batches.iter().map(Vec::len).sum();
            for part in model(std::mem::take(&mut batches))? {
                answers.extend(part);
            }
            progress(count);
        }
    }
    Ok(answers)
}

/// The rows of coalition `mask` (bit j set: feature j from `x`), one per background row.
fn coalition_rows(x: &[Value], background: &[Vec<Value>], mask: u64) -> Vec<Vec<Value>> {
    background
        .iter()
        .map(|b| {
            b.iter()
                .zip(x)
                .enumerate()
                .map(|(j, (bv, xv))| {
                    if mask >> j & 1 == 1 {
                        xv.clone()
                    } else {
                        bv.clone()
                    }
                })
                .collect()
        })
        .collect()
}

/// Values coalitions: the model called on their rows in batches of `batch`, each coalition's
/// value the mean over the background. `progress` is told of each batch's rows.
fn value_coalitions<E>(
    x: &[Value],
    background: &[Vec<Value>],
    masks: &[u64],
    (batch, wave): (usize, usize),
    model: &mut Model<'_, E>,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<f64>, E> {
    let n = background.len();
    let mut answers = Vec::with_capacity(masks.len() * n);
    // A wave's rows at a time: memory stays at a wave whatever 2^M × N comes to.
    let per_call = (batch.max(1) * wave.max(1)).max(n);
    let mut pending: Vec<Vec<Value>> = Vec::with_capacity(per_call);
    for &mask in masks {
        pending.extend(coalition_rows(x, background, mask));
        if pending.len() >= per_call {
            answers.extend(ask_in_waves(
                std::mem::take(&mut pending),
                batch,
                wave,
                model,
                progress,
            )?);
        }
    }
    if !pending.is_empty() {
        answers.extend(ask_in_waves(pending, batch, wave, model, progress)?);
    }
    Ok(answers
        .chunks(n.max(1))
        .map(|c| c.iter().sum::<f64>() / c.len().max(1) as f64)
        .collect())
}

/// The exact Shapley values of `x` (at most [`MAX_EXACT`] features): every coalition valued,
/// then φⱼ = Σ over S without j of |S|!(M−|S|−1)!/M! (v(S ∪ j) − v(S)).
pub fn exact<E>(
    x: &[Value],
    background: &[Vec<Value>],
    (batch, wave): (usize, usize),
    model: &mut Model<'_, E>,
    progress: &mut dyn FnMut(usize),
) -> Result<Shapley, E> {
    let m = x.len().min(MAX_EXACT);
    let masks: Vec<u64> = (0..1u64 << m).collect();
    let v = value_coalitions(x, background, &masks, (batch, wave), model, progress)?;
    // weight[s] = s!(M−s−1)!/M!, built as a product to stay exact in floating point as long
    // as it can.
    let weight = |s: usize| -> f64 {
        let mut w = 1.0 / m as f64;
        // 1/M · 1/C(M−1, s)
        let mut c = 1.0f64;
        for i in 0..s {
            c = c * (m - 1 - i) as f64 / (i + 1) as f64;
        }
        w /= c;
        w
    };
    let mut values = vec![0.0; m];
    for (j, value) in values.iter_mut().enumerate() {
        let bit = 1u64 << j;
        let mut sum = 0.0;
        for (mask, v_s) in v.iter().enumerate() {
            let mask = mask as u64;
            if mask & bit != 0 {
                continue;
            }
            let with = v.get((mask | bit) as usize).copied().unwrap_or(0.0);
            sum += weight(mask.count_ones() as usize) * (with - v_s);
        }
        *value = sum;
    }
    Ok(Shapley {
        values,
        base_value: v.first().copied().unwrap_or(0.0),
        prediction: v.last().copied().unwrap_or(0.0),
        method: Method::Exact,
        rows_predicted: masks.len() * background.len(),
    })
}

/// A small seeded generator (splitmix64): the same seed, the same permutations.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A shuffled 0..n (Fisher–Yates).
    fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            p.swap(i, j);
        }
        p
    }
}

/// Shapley values by sampled permutations, each walked with its reverse (antithetic pairs):
/// along a permutation, each feature's marginal contribution as it joins. The values add up
/// to f(x) − base exactly, whatever the sample (each walk telescopes).
pub fn sampled<E>(
    x: &[Value],
    background: &[Vec<Value>],
    pairs: usize,
    seed: u64,
    (batch, wave): (usize, usize),
    model: &mut Model<'_, E>,
    progress: &mut dyn FnMut(usize),
) -> Result<Shapley, E> {
    let m = x.len();
    let mut rng = SplitMix(seed);
    let mut walks: Vec<Vec<usize>> = Vec::with_capacity(pairs.max(1) * 2);
    for _ in 0..pairs.max(1) {
        let p = rng.permutation(m);
        let mut r = p.clone();
        r.reverse();
        walks.push(p);
        walks.push(r);
    }
    // Each walk's coalitions are its prefixes (as bit sets over features: m may exceed 64, so
    // a coalition is valued from its rows directly).
    let n = background.len();
    let mut contributions = vec![Vec::with_capacity(walks.len()); m];
    let mut base_value = 0.0;
    let mut prediction = 0.0;
    let mut rows_predicted = 0;
    // A wave's rows at a time, as for the exact values: memory stays at a wave (and a walk's
    // answers, a number each), however many features and background rows there are.
    let per_call = (batch.max(1) * wave.max(1)).max(n);
    for walk in &walks {
        let mut answers = Vec::with_capacity((m + 1) * n);
        let mut current: Vec<Vec<Value>> = background.to_vec();
        let mut pending: Vec<Vec<Value>> = current.clone();
        for &j in walk {
            for row in &mut current {
                if let (Some(cell), Some(xv)) = (row.get_mut(j), x.get(j)) {
                    *cell = xv.clone();
                }
            }
            pending.extend(current.iter().cloned());
            if pending.len() >= per_call {
                rows_predicted += pending.len();
                answers.extend(ask_in_waves(
                    std::mem::take(&mut pending),
                    batch,
                    wave,
                    model,
                    progress,
                )?);
            }
        }
        if !pending.is_empty() {
            rows_predicted += pending.len();
            answers.extend(ask_in_waves(pending, batch, wave, model, progress)?);
        }
        let v: Vec<f64> = answers
            .chunks(n.max(1))
            .map(|c| c.iter().sum::<f64>() / c.len().max(1) as f64)
            .collect();
        for (k, &j) in walk.iter().enumerate() {
            let (before, after) = (v.get(k), v.get(k + 1));
            if let (Some(b), Some(a), Some(list)) = (before, after, contributions.get_mut(j)) {
                list.push(a - b);
            }
        }
        base_value = v.first().copied().unwrap_or(0.0);
        prediction = v.last().copied().unwrap_or(0.0);
    }
    let mut bound: f64 = 0.0;
    let values = contributions
        .iter()
        .map(|c| {
            let k = c.len().max(1) as f64;
            let mean = c.iter().sum::<f64>() / k;
            // The pairs are the independent samples: a pair's mean is one draw.
            let pair_means: Vec<f64> = c
                .chunks(2)
                .map(|p| p.iter().sum::<f64>() / p.len() as f64)
                .collect();
            let q = pair_means.len() as f64;
            if q > 1.0 {
                let var = pair_means.iter().map(|p| (p - mean).powi(2)).sum::<f64>() / (q - 1.0);
                bound = bound.max(1.96 * (var / q).sqrt());
            }
            mean
        })
        .collect();
    Ok(Shapley {
        values,
        base_value,
        prediction,
        method: Method::Sampled {
            permutations: walks.len(),
            seed,
            bound,
        },
        rows_predicted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Batches of rows in, a number per row out.
    type Batches = Vec<Vec<Vec<Value>>>;

    fn linear(w: &[f64]) -> impl FnMut(Batches) -> Result<Vec<Vec<f64>>, String> + '_ {
        move |batches| {
            Ok(batches
                .iter()
                .map(|rows| {
                    rows.iter()
                        .map(|r| {
                            r.iter()
                                .zip(w)
                                .map(|(v, w)| v.as_f64().unwrap_or(0.0) * w)
                                .sum()
                        })
                        .collect()
                })
                .collect())
        }
    }

    fn row(v: &[f64]) -> Vec<Value> {
        v.iter().map(|x| serde_json::json!(x)).collect()
    }

    #[test]
    fn a_linear_models_values_are_its_weights_times_the_distance_from_the_background_mean() {
        let w = [2.0, -1.0, 0.5];
        let x = row(&[1.0, 2.0, 3.0]);
        let bg = vec![row(&[0.0, 0.0, 0.0]), row(&[1.0, 1.0, 1.0])];
        let mut model = linear(&w);
        let s = exact(&x, &bg, (3, 2), &mut model, &mut |_| {}).unwrap();
        let want = [2.0 * (1.0 - 0.5), -(2.0 - 0.5), 0.5 * (3.0 - 0.5)];
        for (got, want) in s.values.iter().zip(want) {
            assert!((got - want).abs() < 1e-12, "{got} {want}");
        }
        assert_eq!(s.rows_predicted, 8 * 2);
        let sum: f64 = s.values.iter().sum();
        assert!((sum - (s.prediction - s.base_value)).abs() < 1e-12);
        let mut model = linear(&w);
        let p = sampled(&x, &bg, 4, 7, (5, 1), &mut model, &mut |_| {}).unwrap();
        for (got, want) in p.values.iter().zip(want) {
            assert!(
                (got - want).abs() < 1e-12,
                "a linear model's marginals are exact: {got} {want}"
            );
        }
    }

    #[test]
    fn an_interaction_is_split_evenly() {
        // f = x0 * x1 from background 0: each feature gets half of the product.
        let x = row(&[2.0, 3.0]);
        let bg = vec![row(&[0.0, 0.0])];
        let mut model = |batches: Vec<Vec<Vec<Value>>>| -> Result<Vec<Vec<f64>>, String> {
            Ok(batches
                .iter()
                .map(|rows| {
                    rows.iter()
                        .map(|r| r[0].as_f64().unwrap() * r[1].as_f64().unwrap())
                        .collect()
                })
                .collect())
        };
        let s = exact(&x, &bg, (1, 3), &mut model, &mut |_| {}).unwrap();
        assert_eq!(s.values, vec![3.0, 3.0]);
    }
}
