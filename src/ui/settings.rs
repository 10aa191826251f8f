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
    /// Where predictions are made.
    Test,
}

impl Tab {
    /// Every tab, in order.
    pub const ALL: [Tab; 6] = [
        Tab::Flavors,
        Tab::Signature,
        Tab::Environment,
        Tab::Example,
        Tab::Artifacts,
        Tab::Test,
    ];

    /// The tab's title.
    pub fn title(self) -> &'static str {
        match self {
            Tab::Flavors => "Flavors",
            Tab::Signature => "Signature",
            Tab::Environment => "Environment",
            Tab::Example => "Input example",
            Tab::Artifacts => "Artifacts",
            Tab::Test => "Test",
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
}

impl Settings {
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
