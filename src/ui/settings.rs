//! What the app remembers between runs (eframe persistence), kept apart from runtime state.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The most recent models remembered (Ctrl+1..9 opens them).
pub const MAX_RECENT: usize = 9;

/// The panels of a model, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Tab {
    /// Flavors and the files they name.
    #[default]
    Flavors,
    /// Inputs, outputs and params.
    Signature,
    /// Python version and dependencies.
    Environment,
    /// The saved input example.
    Example,
    /// The files of the folder.
    Artifacts,
    /// What is inside the ONNX graph (models with an ONNX file only).
    Graph,
    /// Where predictions are made.
    Test,
    /// How the model does on a whole dataset.
    Evaluate,
    /// Another model (B) beside this one (shown while one is open).
    Compare,
}

impl Tab {
    /// Every tab, in order.
    pub const ALL: [Tab; 9] = [
        Tab::Flavors,
        Tab::Signature,
        Tab::Environment,
        Tab::Example,
        Tab::Artifacts,
        Tab::Graph,
        Tab::Test,
        Tab::Evaluate,
        Tab::Compare,
    ];

    /// The tab's title.
    pub fn title(self) -> &'static str {
        match self {
            Tab::Flavors => "Flavors",
            Tab::Signature => "Signature",
            Tab::Environment => "Environment",
            Tab::Example => "Input example",
            Tab::Artifacts => "Artifacts",
            Tab::Graph => "Graph",
            Tab::Test => "Test",
            Tab::Evaluate => "Evaluate",
            Tab::Compare => "Compare",
        }
    }
}

/// Light, dark, or as the system says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ThemeChoice {
    /// Follow the system.
    #[default]
    System,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

impl ThemeChoice {
    /// egui's preference for it.
    pub fn preference(self) -> egui::ThemePreference {
        match self {
            ThemeChoice::System => egui::ThemePreference::System,
            ThemeChoice::Light => egui::ThemePreference::Light,
            ThemeChoice::Dark => egui::ThemePreference::Dark,
        }
    }
}

/// Each file of a model folder with its SHA-256 digest.
pub type Digests = crate::scan::trust::Digests;

/// A model folder whose code the user agreed to run, with its files' digests at that moment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrustedModel {
    /// The folder.
    pub folder: PathBuf,
    /// Its files' digests when the user said yes.
    pub digests: Digests,
}

/// Whether a model's code may run without asking ([`Settings::trust_check`]).
#[derive(Debug, Clone, PartialEq)]
pub enum TrustCheck {
    /// The user said yes to these very files.
    Trusted,
    /// Never asked.
    Never,
    /// Asked before these files changed (one phrase each: `model.pkl changed`).
    Changed(Vec<String>),
}

/// The saved settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Recently opened models, newest first.
    pub recent: Vec<PathBuf>,
    /// The tab shown last.
    pub tab: Tab,
    /// The theme.
    pub theme: ThemeChoice,
    /// Python, env manager, port, timeout and endpoint headers for Predict.
    pub backend: crate::predict::BackendSettings,
    /// Whether header values (tokens) are written to disk; off, only their names are.
    pub remember_header_values: bool,
    /// The endpoint URL last used.
    pub endpoint_url: String,
    /// Model folders whose code the user agreed to run (local predict), each with its files'
    /// digests then: a file changed since asks again.
    pub trusted_models: Vec<TrustedModel>,
    /// The labels file chosen for each model folder.
    pub labels: Vec<(PathBuf, PathBuf)>,
    /// How class scores are read.
    pub score_mode: crate::predict::answer::ScoreMode,
    /// How many classes the bars show (0: the default, 5).
    pub top_k: usize,
    /// The MLflow tracking server (empty: MLFLOW_TRACKING_URI).
    pub tracking_uri: String,
    /// The share of the Test tab's width the predict half takes, as the user dragged it (0:
    /// half).
    pub predict_share: f32,
    /// How the Test tab explains an answer.
    pub explain: ExplainSettings,
    /// Where the Evaluate tab's predictions are made.
    pub eval: EvalSettings,
}

/// Where the Evaluate tab's predictions come from (the command line's `eval --engine local`,
/// `--engine spark`, and `--predictions FILE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum EvalEngine {
    /// Here, through the Test tab's backend.
    #[default]
    Here,
    /// On a Spark master, with MLflow's spark_udf.
    Spark,
    /// Nowhere: a file of predictions made elsewhere is scored.
    Elsewhere,
}

/// The Evaluate tab's saved choices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EvalSettings {
    /// Where predictions are made.
    pub engine: EvalEngine,
    /// The Spark master (`--master`): `local[*]`, `spark://host:7077`, ...
    pub spark_master: String,
}

impl Default for EvalSettings {
    fn default() -> Self {
        Self {
            engine: EvalEngine::Here,
            spark_master: "local[*]".into(),
        }
    }
}

/// How the Test tab explains an answer: an image's occlusion window and its drawing (the
/// command line's `--window`, `--stride` and `--baseline`, one to one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExplainSettings {
    /// The window's side in pixels (0: from the grid, as `explain` chooses it).
    pub window: u32,
    /// The stride in pixels (0: from the grid).
    pub stride: u32,
    /// What replaces an occluded window.
    pub baseline: crate::explain::occlusion::Baseline,
    /// The overlay's opacity over the image, 0 to 1.
    pub opacity: f32,
}

impl Default for ExplainSettings {
    fn default() -> Self {
        Self {
            window: 0,
            stride: 0,
            baseline: crate::explain::occlusion::Baseline::Zero,
            opacity: 0.6,
        }
    }
}

impl Settings {
    /// What is written to disk: header values are left out unless the user asked to keep
    /// them (a bearer token is never stored in plain text by default).
    pub fn for_disk(&self) -> Settings {
        let mut out = self.clone();
        if !out.remember_header_values {
            for (_, value) in &mut out.backend.headers {
                value.clear();
            }
        }
        out
    }

    /// Whether the user agreed to run code from this folder as its files are now (`digests`,
    /// from its scan): yes, never asked, or asked before its files changed (named).
    pub fn trust_check(&self, folder: &Path, digests: &Digests) -> TrustCheck {
        match self.trusted_models.iter().find(|t| t.folder == folder) {
            None => TrustCheck::Never,
            Some(t) => {
                let changes = crate::scan::trust::changes(&t.digests, digests);
                if changes.is_empty() {
                    TrustCheck::Trusted
                } else {
                    TrustCheck::Changed(changes)
                }
            }
        }
    }

    /// Remembers the user's yes for this folder as its files are now.
    pub fn trust(&mut self, folder: &Path, digests: Digests) {
        self.trusted_models.retain(|t| t.folder != folder);
        self.trusted_models.push(TrustedModel {
            folder: folder.to_path_buf(),
            digests,
        });
    }

    /// The labels file chosen for a model folder.
    pub fn labels_for(&self, folder: &Path) -> Option<&PathBuf> {
        self.labels
            .iter()
            .find(|(m, _)| m == folder)
            .map(|(_, l)| l)
    }

    /// Remembers the labels file of a model folder (`None` forgets it).
    pub fn set_labels(&mut self, folder: &Path, labels: Option<PathBuf>) {
        self.labels.retain(|(m, _)| m != folder);
        if let Some(l) = labels {
            self.labels.push((folder.to_path_buf(), l));
        }
    }

    /// Puts `path` first in the recent list, without duplicates, at most [`MAX_RECENT`].
    pub fn remember(&mut self, path: &Path) {
        self.recent.retain(|p| p != path);
        self.recent.insert(0, path.to_path_buf());
        self.recent.truncate(MAX_RECENT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_stay_off_disk_unless_asked() {
        let mut s = Settings::default();
        s.backend
            .headers
            .push(("Authorization".into(), "Bearer secret".into()));
        let disk = serde_json::to_string(&s.for_disk()).unwrap_or_default();
        assert!(
            disk.contains("Authorization") && !disk.contains("secret"),
            "{disk}"
        );
        s.remember_header_values = true;
        let disk = serde_json::to_string(&s.for_disk()).unwrap_or_default();
        assert!(disk.contains("Bearer secret"), "{disk}");
    }

    #[test]
    fn recent_models_are_newest_first_without_duplicates() {
        let mut s = Settings::default();
        for i in 0..12 {
            s.remember(Path::new(&format!("/m/{i}")));
        }
        s.remember(Path::new("/m/5"));
        assert_eq!(s.recent.len(), MAX_RECENT);
        assert_eq!(s.recent[0], Path::new("/m/5"));
        assert_eq!(
            s.recent.iter().filter(|p| *p == Path::new("/m/5")).count(),
            1
        );
    }
}
