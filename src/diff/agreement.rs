//! Two models over one dataset: how often they give the same prediction, and the items where
//! they do not. UI-free; the window's comparison runs the Evaluate tab's dataset through both
//! and shows it.

use crate::eval::ItemResult;

/// The most differing items kept (all are counted).
pub const DIFFERING_KEPT: usize = 10_000;

/// How A's and B's predictions over the same items compare.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Agreement {
    /// Items both predicted.
    pub compared: usize,
    /// Of those, the items with the same prediction.
    pub agree: usize,
    /// Items only one of them predicted (the other failed on it).
    pub one_failed: usize,
    /// The first [`DIFFERING_KEPT`] items they differ on: id, label, A's and B's prediction.
    pub differing: Vec<Differing>,
}

/// An item A and B predict differently.
#[derive(Debug, Clone, PartialEq)]
pub struct Differing {
    /// The item (`flower/3.png`, `line 7`).
    pub id: String,
    /// Its label, when the dataset has one.
    pub label: Option<String>,
    /// A's prediction (or its error).
    pub a: String,
    /// B's prediction (or its error).
    pub b: String,
}

impl Agreement {
    /// The share of items both predicted on which they agree (`None` with none compared).
    pub fn rate(&self) -> Option<f64> {
        (self.compared > 0).then(|| self.agree as f64 / self.compared as f64)
    }
}

/// Two predictions are the same: equal text, or numbers within 1e-9 of each other relatively
/// (a regression's predictions print with every digit).
fn same(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
        (Ok(x), Ok(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()),
        _ => false,
    }
}

/// Matches A's items with B's by id and compares their predictions.
pub fn agreement(a: &[ItemResult], b: &[ItemResult]) -> Agreement {
    let by_id: std::collections::HashMap<&str, &ItemResult> =
        b.iter().map(|i| (i.id.as_str(), i)).collect();
    let mut out = Agreement::default();
    for x in a {
        let Some(y) = by_id.get(x.id.as_str()) else {
            continue;
        };
        let side = |i: &ItemResult| {
            i.prediction
                .clone()
                .or_else(|| i.error.as_ref().map(|e| format!("failed: {e}")))
                .unwrap_or_default()
        };
        match (&x.prediction, &y.prediction) {
            (Some(p), Some(q)) => {
                out.compared += 1;
                if same(p, q) {
                    out.agree += 1;
                    continue;
                }
            }
            (None, None) => continue,
            _ => out.one_failed += 1,
        }
        if out.differing.len() < DIFFERING_KEPT {
            out.differing.push(Differing {
                id: x.id.clone(),
                label: x.label.clone().or_else(|| y.label.clone()),
                a: side(x),
                b: side(y),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, prediction: Option<&str>, error: Option<&str>) -> ItemResult {
        ItemResult {
            id: id.into(),
            label: Some("x".into()),
            prediction: prediction.map(Into::into),
            score: None,
            error: error.map(Into::into),
        }
    }

    #[test]
    fn items_are_matched_by_id_and_numbers_by_value() {
        let a = [
            item("1", Some("cat"), None),
            item("2", Some("dog"), None),
            item("3", Some("1.5"), None),
            item("4", None, Some("bad file")),
            item("5", Some("cat"), None),
        ];
        let b = [
            item("3", Some("1.50"), None),
            item("2", Some("cat"), None),
            item("1", Some("cat"), None),
            item("4", None, Some("bad file")),
            item("5", None, Some("refused")),
        ];
        let g = agreement(&a, &b);
        assert_eq!((g.compared, g.agree, g.one_failed), (3, 2, 1));
        assert_eq!(g.rate(), Some(2.0 / 3.0));
        assert_eq!(g.differing.len(), 2);
        assert_eq!(
            (g.differing[0].a.as_str(), g.differing[0].b.as_str()),
            ("dog", "cat")
        );
        assert_eq!(g.differing[1].b, "failed: refused");
    }
}
