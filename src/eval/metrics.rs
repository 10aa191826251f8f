//! Metrics as scikit-learn computes them, accumulated item by item so a dataset of any size
//! needs memory only for its classes: `accuracy_score`, `f1_score(average="macro")`,
//! `precision_recall_fscore_support`, `confusion_matrix`, `mean_absolute_error`, the root of
//! `mean_squared_error` and `r2_score`. The formulas are scikit-learn's (1.9), ill-defined
//! ratios included (a class never predicted has precision 0, as `zero_division` gives).

use std::collections::HashMap;

use serde::Serialize;

/// The most distinct labels a classification keeps: more is a sign of a regression read as
/// classes (or labels that are ids), and the confusion matrix would grow with their square.
pub const MAX_LABELS: usize = 10_000;

/// Up to this many labels the report holds the whole confusion matrix; above, only its
/// cells that are not zero (9,999 labels would be 100 million cells, 800 MB).
pub const DENSE_LABELS: usize = 500;

/// Counts of (true label, predicted label) pairs.
#[derive(Debug, Clone, Default)]
pub struct Classification {
    labels: Vec<String>,
    index: HashMap<String, usize>,
    pairs: HashMap<(usize, usize), u64>,
    n: u64,
    correct: u64,
}

/// Why an item could not be counted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetricError {
    /// Too many distinct labels.
    #[error(
        "more than {MAX_LABELS} distinct labels: if the label is a number to estimate, evaluate with --task regression"
    )]
    TooManyLabels,
    /// A regression label that is not a number.
    #[error("the label {0:?} is not a number")]
    NotANumber(String),
}

/// One class's row of the per-class table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassScores {
    /// The class.
    pub label: String,
    /// Of the items predicted as this class, the share that are.
    pub precision: f64,
    /// Of the items of this class, the share predicted as it.
    pub recall: f64,
    /// The harmonic mean of the two (0 when both are).
    pub f1: f64,
    /// How many items of this class there are.
    pub support: u64,
}

/// The classification metrics at one moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassificationReport {
    /// Share of items predicted right (`None` before any item).
    pub accuracy: Option<f64>,
    /// Mean of the classes' F1 over every label seen, true or predicted.
    pub macro_f1: Option<f64>,
    /// The labels in the order of the matrix: the model's class names first (in their order),
    /// then any other label seen, sorted.
    pub labels: Vec<String>,
    /// `matrix[t][p]`: items of label `t` predicted as label `p`; empty when there are more
    /// than [`DENSE_LABELS`] labels (see `cells`).
    pub matrix: Vec<Vec<u64>>,
    /// The cells that are not zero, `(t, p, count)`, by row then column: the whole matrix
    /// whatever its size.
    pub cells: Vec<(usize, usize, u64)>,
    /// Per label, in the same order.
    pub per_class: Vec<ClassScores>,
}

impl Classification {
    /// Counts one item.
    pub fn add(&mut self, truth: &str, predicted: &str) -> Result<(), MetricError> {
        let t = self.intern(truth)?;
        let p = self.intern(predicted)?;
        *self.pairs.entry((t, p)).or_default() += 1;
        self.n += 1;
        if t == p {
            self.correct += 1;
        }
        Ok(())
    }

    /// How many items were counted.
    pub fn count(&self) -> u64 {
        self.n
    }

    fn intern(&mut self, label: &str) -> Result<usize, MetricError> {
        if let Some(&i) = self.index.get(label) {
            return Ok(i);
        }
        if self.labels.len() >= MAX_LABELS {
            return Err(MetricError::TooManyLabels);
        }
        self.labels.push(label.to_string());
        self.index.insert(label.to_string(), self.labels.len() - 1);
        Ok(self.labels.len() - 1)
    }

    /// The metrics so far; `order` is the model's class names (the matrix follows it).
    pub fn report(&self, order: &[String]) -> ClassificationReport {
        let mut labels: Vec<String> = order
            .iter()
            .filter(|c| self.index.contains_key(*c))
            .cloned()
            .collect();
        let mut rest: Vec<&String> = self.labels.iter().filter(|l| !order.contains(l)).collect();
        rest.sort();
        labels.extend(rest.into_iter().cloned());
        // Where each interned label sits in the report's order.
        let mut position = vec![usize::MAX; self.labels.len()];
        for (at, l) in labels.iter().enumerate() {
            if let Some(&i) = self.index.get(l) {
                position[i] = at;
            }
        }
        let size = labels.len();
        let mut cells: Vec<(usize, usize, u64)> = self
            .pairs
            .iter()
            .filter(|(_, n)| **n > 0)
            .filter_map(|(&(t, p), &n)| Some((*position.get(t)?, *position.get(p)?, n)))
            .filter(|&(t, p, _)| t < size && p < size)
            .collect();
        cells.sort_unstable();
        let (mut support, mut predicted, mut diagonal) =
            (vec![0u64; size], vec![0u64; size], vec![0u64; size]);
        for &(t, p, n) in &cells {
            support[t] += n;
            predicted[p] += n;
            if t == p {
                diagonal[t] = n;
            }
        }
        let matrix: Vec<Vec<u64>> = if size <= DENSE_LABELS {
            let mut m = vec![vec![0u64; size]; size];
            for &(t, p, n) in &cells {
                m[t][p] = n;
            }
            m
        } else {
            Vec::new()
        };
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let per_class: Vec<ClassScores> = labels
            .iter()
            .enumerate()
            .map(|(i, label)| {
                let (tp, support, predicted) = (diagonal[i], support[i], predicted[i]);
                // scikit-learn: (1 + b^2) tp / ((1 + b^2) tp + b^2 fn + fp), b = 1.
                let denominator = (support + predicted) as f64;
                ClassScores {
                    label: label.clone(),
                    precision: ratio(tp, predicted),
                    recall: ratio(tp, support),
                    f1: if denominator == 0.0 {
                        0.0
                    } else {
                        2.0 * tp as f64 / denominator
                    },
                    support,
                }
            })
            .collect();
        let (accuracy, macro_f1) = if self.n == 0 {
            (None, None)
        } else {
            (
                Some(self.correct as f64 / self.n as f64),
                Some(per_class.iter().map(|c| c.f1).sum::<f64>() / per_class.len() as f64),
            )
        };
        ClassificationReport {
            accuracy,
            macro_f1,
            labels,
            matrix,
            cells,
            per_class,
        }
    }
}

/// Sums for the regression metrics.
#[derive(Debug, Clone, Default)]
pub struct Regression {
    n: u64,
    abs: f64,
    squared: f64,
    /// Welford's running mean and sum of squared deviations of the true values.
    mean: f64,
    m2: f64,
}

/// The regression metrics at one moment (`None` where scikit-learn gives NaN or raises).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RegressionReport {
    /// Mean absolute error.
    pub mae: Option<f64>,
    /// Root mean squared error.
    pub rmse: Option<f64>,
    /// Coefficient of determination (needs two items).
    pub r2: Option<f64>,
}

impl Regression {
    /// Counts one item.
    pub fn add(&mut self, truth: f64, predicted: f64) {
        let error = truth - predicted;
        self.n += 1;
        self.abs += error.abs();
        self.squared += error * error;
        let delta = truth - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (truth - self.mean);
    }

    /// How many items were counted.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// The metrics so far.
    pub fn report(&self) -> RegressionReport {
        if self.n == 0 {
            return RegressionReport {
                mae: None,
                rmse: None,
                r2: None,
            };
        }
        let n = self.n as f64;
        // scikit-learn's r2_score: NaN under two samples; a constant truth gives 1 when the
        // predictions are exact, else 0 (force_finite).
        let r2 = if self.n < 2 {
            None
        } else if self.m2 == 0.0 {
            Some(if self.squared == 0.0 { 1.0 } else { 0.0 })
        } else {
            Some(1.0 - self.squared / self.m2)
        };
        RegressionReport {
            mae: Some(self.abs / n),
            rmse: Some((self.squared / n).sqrt()),
            r2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// scikit-learn 1.9.1 on y_true = [a a a b b c], y_pred = [a b a b d c] (d never true):
    /// accuracy_score 0.6666666666666666, f1_score(average="macro") 0.575
    /// (labels a b c d), confusion_matrix rows [[2 1 0 0] [0 1 0 1] [0 0 1 0] [0 0 0 0]].
    #[test]
    fn classification_matches_scikit_learn_with_a_label_never_true() {
        let mut m = Classification::default();
        for (t, p) in [
            ("a", "a"),
            ("a", "b"),
            ("a", "a"),
            ("b", "b"),
            ("b", "d"),
            ("c", "c"),
        ] {
            m.add(t, p).unwrap();
        }
        let r = m.report(&strings(&["c", "b", "a"]));
        assert_eq!(r.labels, strings(&["c", "b", "a", "d"]));
        assert_eq!(
            r.matrix,
            vec![
                vec![1, 0, 0, 0],
                vec![0, 1, 0, 1],
                vec![0, 1, 2, 0],
                vec![0, 0, 0, 0]
            ]
        );
        assert_eq!(r.accuracy, Some(4.0 / 6.0));
        assert!((r.macro_f1.unwrap() - 0.575).abs() < 1e-15);
        let d = &r.per_class[3];
        assert_eq!((d.precision, d.recall, d.f1, d.support), (0.0, 0.0, 0.0, 0));
        let a = &r.per_class[2];
        assert_eq!((a.precision, a.recall, a.support), (1.0, 2.0 / 3.0, 3));
    }

    #[test]
    fn nothing_counted_gives_no_numbers() {
        let r = Classification::default().report(&[]);
        assert_eq!((r.accuracy, r.macro_f1), (None, None));
        assert!(r.labels.is_empty() && r.matrix.is_empty());
        assert_eq!(
            Regression::default().report(),
            RegressionReport {
                mae: None,
                rmse: None,
                r2: None
            }
        );
    }

    #[test]
    fn many_labels_keep_only_the_cells_that_are_not_zero() {
        let mut m = Classification::default();
        let n = DENSE_LABELS + 100;
        for i in 0..n {
            // Each label predicted as itself, and label 0 once as the last.
            m.add(&format!("{i:05}"), &format!("{i:05}")).unwrap();
        }
        m.add("00000", &format!("{:05}", n - 1)).unwrap();
        let r = m.report(&[]);
        assert!(r.matrix.is_empty(), "no dense matrix past {DENSE_LABELS}");
        assert_eq!(r.cells.len(), n + 1);
        assert_eq!(r.cells[0], (0, 0, 1));
        assert_eq!(r.cells[1], (0, n - 1, 1));
        assert_eq!(r.per_class[0].support, 2);
        assert_eq!(r.per_class[n - 1].precision, 0.5);
    }

    #[test]
    fn labels_are_capped() {
        let mut m = Classification::default();
        for i in 0..MAX_LABELS {
            m.add(&i.to_string(), "0").unwrap();
        }
        assert_eq!(m.add("new", "0"), Err(MetricError::TooManyLabels));
        assert_eq!(m.count(), MAX_LABELS as u64);
    }

    /// scikit-learn 1.9.1 on y_true = [3, -0.5, 2, 7], y_pred = [2.5, 0, 2, 8]:
    /// MAE 0.5, MSE 0.375, r2_score 0.9486081370449679.
    #[test]
    fn regression_matches_scikit_learn() {
        let mut m = Regression::default();
        for (t, p) in [(3.0, 2.5), (-0.5, 0.0), (2.0, 2.0), (7.0, 8.0)] {
            m.add(t, p);
        }
        let r = m.report();
        assert_eq!(r.mae, Some(0.5));
        assert_eq!(r.rmse, Some(0.375f64.sqrt()));
        assert!((r.r2.unwrap() - 0.9486081370449679).abs() < 1e-15);
        // A constant truth: 1 for exact predictions, else 0; one item: no r2.
        let mut c = Regression::default();
        c.add(1.0, 1.0);
        assert_eq!(c.report().r2, None);
        c.add(1.0, 1.0);
        assert_eq!(c.report().r2, Some(1.0));
        c.add(1.0, 2.0);
        assert_eq!(c.report().r2, Some(0.0));
    }
}
