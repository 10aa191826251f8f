//! The `MLmodel` file: YAML parsed into its top-level keys, typed where MLflow gives them a
//! meaning, with every unknown key kept.

use indexmap::IndexMap;
use serde_json::Value;

use super::error::Warning;
use crate::text::elide;

/// An ordered JSON-like map, as the YAML was written.
pub type Map = serde_json::Map<String, Value>;

/// The top-level keys of `MLmodel`, typed; the raw map is kept too.
#[derive(Debug, Clone, Default)]
pub struct MlModel {
    /// `flavors`: flavor name to its settings, in file order.
    pub flavors: IndexMap<String, Value>,
    /// `utc_time_created` (or legacy `time_created`), as written.
    pub utc_time_created: Option<String>,
    /// Whether the creation time came from the legacy `time_created` key.
    pub time_created_is_legacy: bool,
    /// `model_uuid`.
    pub model_uuid: Option<String>,
    /// `model_id` (MLflow 3 LoggedModel id, `m-...`).
    pub model_id: Option<String>,
    /// `mlflow_version`.
    pub mlflow_version: Option<String>,
    /// `run_id`.
    pub run_id: Option<String>,
    /// `artifact_path`.
    pub artifact_path: Option<String>,
    /// `databricks_runtime`.
    pub databricks_runtime: Option<String>,
    /// `prompts`: prompt URIs.
    pub prompts: Option<Vec<String>>,
    /// `signature` as written (a map of JSON strings, normally).
    pub signature: Option<Value>,
    /// `is_signature_from_type_hint`.
    pub is_signature_from_type_hint: Option<bool>,
    /// `type_hint_from_example`.
    pub type_hint_from_example: Option<bool>,
    /// `saved_input_example_info`.
    pub saved_input_example_info: Option<Map>,
    /// `model_size_bytes`.
    pub model_size_bytes: Option<u64>,
    /// `metadata`: free-form.
    pub metadata: Option<Value>,
    /// `resources` (GenAI models).
    pub resources: Option<Value>,
    /// `auth_policy`.
    pub auth_policy: Option<Value>,
    /// `env_vars`: names of environment variables the model reads.
    pub env_vars: Option<Vec<String>>,
    /// `wheels`: `{platform: ...}` after `add_libraries_to_model`.
    pub wheels: Option<Value>,
    /// Keys MLflow does not define, kept as written.
    pub unknown: IndexMap<String, Value>,
    /// The whole file as a map, in file order.
    pub raw: Map,
}

/// The keys MLflow defines at the top of `MLmodel` (reference section 2).
pub const KNOWN_KEYS: &[&str] = &[
    "flavors",
    "utc_time_created",
    "time_created",
    "model_uuid",
    "model_id",
    "mlflow_version",
    "run_id",
    "artifact_path",
    "databricks_runtime",
    "prompts",
    "signature",
    "is_signature_from_type_hint",
    "type_hint_from_example",
    "saved_input_example_info",
    "model_size_bytes",
    "metadata",
    "resources",
    "auth_policy",
    "env_vars",
    "wheels",
];

/// The deepest nesting of flow collections (`{`, `[`) read; the YAML parser's own limit is
/// reached only after a time that grows with the square of the depth.
const MAX_FLOW_DEPTH: usize = 100;

/// The tags `yaml.safe_load` constructs; any other tag (`!!python/object:...`, `!custom`) makes
/// it refuse the file, as MLflow's `Model.load` does.
const SAFE_TAGS: [&str; 13] = [
    "str",
    "int",
    "float",
    "bool",
    "null",
    "map",
    "seq",
    "set",
    "omap",
    "pairs",
    "binary",
    "timestamp",
    "merge",
];

/// One pass over YAML text before it is parsed: flow nesting deeper than [`MAX_FLOW_DEPTH`]
/// and tags safe loading refuses are reported at once, naming the line. Quoted text, comments
/// and block scalars are skipped.
fn prescan_yaml(text: &str) -> Result<(), String> {
    let mut depth = 0usize;
    let mut block_indent: Option<usize> = None;
    // The indentation of a line that left a plain scalar open: lines indented deeper go on
    // with its text.
    let mut plain_indent: Option<usize> = None;
    for (n, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        if let Some(b) = block_indent {
            if line.trim().is_empty() || indent > b {
                continue;
            }
            block_indent = None;
        }
        if line.trim().is_empty() {
            continue;
        }
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        // At the start of a node: a tag may stand here.
        let mut node_start = depth > 0 || plain_indent.is_none_or(|p| indent <= p);
        let mut quote: Option<char> = None;
        while i < chars.len() {
            let c = chars[i];
            if let Some(q) = quote {
                if q == '"' && c == '\\' {
                    i += 2;
                    continue;
                }
                if c == q {
                    if q == '\'' && chars.get(i + 1) == Some(&'\'') {
                        i += 2;
                        continue;
                    }
                    quote = None;
                }
                i += 1;
                continue;
            }
            match c {
                '#' if i == 0 || chars[i - 1].is_whitespace() => break,
                '"' | '\'' if node_start => quote = Some(c),
                // A bracket opens a flow collection at the start of a node or inside one; in
                // the middle of a plain scalar it is text.
                '{' | '[' if node_start || depth > 0 => {
                    depth += 1;
                    if depth > MAX_FLOW_DEPTH {
                        return Err(format!(
                            "YAML error at line {}: collections nested more than {MAX_FLOW_DEPTH} levels deep; refused",
                            n + 1
                        ));
                    }
                    node_start = true;
                }
                '}' | ']' => {
                    depth = depth.saturating_sub(1);
                    node_start = false;
                }
                ',' => node_start = true,
                ':' | '-' | '?'
                    if chars.get(i + 1).is_none_or(|c| c.is_whitespace())
                        && (c == ':' || node_start) =>
                {
                    node_start = true
                }
                '!' if node_start => {
                    let tag: String = chars[i..]
                        .iter()
                        .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | ']' | '}'))
                        .collect();
                    // `!` alone is the non-specific tag (a plain string).
                    let safe = tag == "!"
                        || tag
                            .strip_prefix("!!")
                            .is_some_and(|name| SAFE_TAGS.contains(&name));
                    if !safe {
                        let full = match tag.strip_prefix("!!") {
                            Some(name) => format!("tag:yaml.org,2002:{name}"),
                            None => tag.clone(),
                        };
                        return Err(format!(
                            "YAML error at line {}: the tag {tag} is not one MLflow reads (yaml.safe_load: could not determine a constructor for the tag '{full}'); refused",
                            n + 1
                        ));
                    }
                    i += tag.chars().count();
                    continue;
                }
                '|' | '>' if node_start => {
                    // A block scalar: the lines indented under this one are its text.
                    block_indent = Some(indent);
                    node_start = true;
                    break;
                }
                c if c.is_whitespace() => {}
                _ => node_start = false,
            }
            i += 1;
        }
        plain_indent = match (node_start || depth > 0, plain_indent) {
            (true, _) => None,
            (false, Some(p)) if indent > p => Some(p),
            (false, _) => Some(indent),
        };
    }
    Ok(())
}

/// Parses YAML text the way `yaml.safe_load` would for MLflow's files, into ordered JSON values.
///
/// Alias bombs are refused by the parser's repetition limit (nested aliases) and by a budget
/// on the values the reading builds (wide ones: [`super::yaml_budget`]), deep nesting and
/// unsafe tags by a pre-scan; errors carry the line.
pub fn parse_yaml(text: &str) -> Result<Value, String> {
    prescan_yaml(text)?;
    let read = super::yaml_budget::read(
        serde_yaml::Deserializer::from_str(text),
        super::yaml_budget::MAX_EXPANDED_BYTES,
    );
    read.map_err(|e| {
        let message = e.to_string();
        if message.contains(super::yaml_budget::OVER_BUDGET) {
            return format!(
                "YAML error: its values would take more than {} MiB once read{}; refused",
                super::yaml_budget::MAX_EXPANDED_BYTES >> 20,
                if text.contains('*') {
                    " (its aliases expand far beyond the file's size: an alias bomb)"
                } else {
                    ""
                }
            );
        }
        if message.contains("repetition limit exceeded") {
            return "YAML error: repetition limit exceeded: its aliases expand far beyond the file's size (an alias bomb); refused".to_string();
        }
        match e.location() {
            Some(loc) if !message.contains("line") => format!(
                "YAML error at line {}, column {}: {message}",
                loc.line(),
                loc.column()
            ),
            _ if message.contains("more than one document") => "YAML error: the text does not \
                 read as one YAML document (PyYAML: expected '<document start>')"
                .to_string(),
            _ => format!("YAML error: {message}"),
        }
    })
}

/// Where a file that does not parse does not look like YAML's `key: value` at all (a Python
/// script or a notebook saved as `MLmodel`, as public repositories hold), says how it starts.
fn not_yaml_hint(text: &str) -> String {
    let Some(first) = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#') && l != &"---")
    else {
        return String::new();
    };
    let keyed = first.ends_with(':') || first.contains(": ") || first.starts_with("- ");
    if keyed {
        return String::new();
    }
    format!(
        "; this is not an MLmodel file: it starts `{}`, where MLflow writes `flavors:` and other keys",
        elide(first, 60)
    )
}

/// A short name for the kind of a value, for messages (`an integer (42)`).
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) if n.is_f64() => format!("a number ({n})"),
        Value::Number(n) => format!("an integer ({n})"),
        Value::String(s) => format!("a string ({})", elide(s, 40)),
        Value::Array(_) => "a list".to_string(),
        Value::Object(_) => "a mapping".to_string(),
    }
}

/// A scalar as text (numbers and booleans too: YAML may read `3.10` or `2.0` as numbers).
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl MlModel {
    /// Parses the text of an `MLmodel` file. Hard errors (not YAML, not a mapping, `flavors`
    /// of the wrong type) come back as `Err`; softer problems as warnings.
    pub fn parse(text: &str, warnings: &mut Vec<Warning>) -> Result<Self, String> {
        if text.trim().is_empty() {
            return Err(
                "the file is empty: an MLmodel file is a YAML mapping with at least `flavors`"
                    .into(),
            );
        }
        let value = parse_yaml(text).map_err(|e| format!("{e}{}", not_yaml_hint(text)))?;
        let raw = match value {
            Value::Object(map) => map,
            Value::Null => {
                return Err("the file holds no YAML document (only comments or `---`)".into());
            }
            other => {
                return Err(format!(
                    "expected a YAML mapping of keys such as `flavors` and `signature`, found {}",
                    describe(&other)
                ));
            }
        };
        let mut model = MlModel {
            raw: raw.clone(),
            ..Default::default()
        };
        let w = |key: &str, msg: String| Warning::new(format!("MLmodel: {key}"), msg);

        match raw.get("flavors") {
            None => warnings.push(w(
                "flavors",
                "missing: MLflow cannot load a model without flavors".into(),
            )),
            Some(Value::Null) => warnings.push(w(
                "flavors",
                "is empty: MLflow cannot load a model without flavors".into(),
            )),
            Some(Value::Object(map)) => {
                model.flavors = map.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                if map.is_empty() {
                    warnings.push(w(
                        "flavors",
                        "is empty: MLflow cannot load a model without flavors".into(),
                    ));
                }
            }
            Some(other) => {
                return Err(format!(
                    "`flavors` must be a mapping of flavor name to its settings, found {}",
                    describe(other)
                ));
            }
        }

        let text_key = |key: &str, warnings: &mut Vec<Warning>| -> Option<String> {
            match raw.get(key) {
                None | Some(Value::Null) => None,
                Some(v) => match scalar_text(v) {
                    Some(s) => Some(s),
                    None => {
                        warnings.push(w(key, format!("expected a string, found {}", describe(v))));
                        None
                    }
                },
            }
        };
        model.utc_time_created = text_key("utc_time_created", warnings);
        if model.utc_time_created.is_none() {
            model.utc_time_created = text_key("time_created", warnings);
            model.time_created_is_legacy = model.utc_time_created.is_some();
        }
        model.model_uuid = text_key("model_uuid", warnings);
        model.model_id = text_key("model_id", warnings);
        model.mlflow_version = text_key("mlflow_version", warnings);
        model.run_id = text_key("run_id", warnings);
        model.artifact_path = text_key("artifact_path", warnings);
        model.databricks_runtime = text_key("databricks_runtime", warnings);

        model.prompts = string_list(&raw, "prompts", warnings);
        model.env_vars = string_list(&raw, "env_vars", warnings);

        let bool_key = |key: &str, warnings: &mut Vec<Warning>| match raw.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(v) => {
                warnings.push(w(
                    key,
                    format!("expected true or false, found {}", describe(v)),
                ));
                None
            }
        };
        model.is_signature_from_type_hint = bool_key("is_signature_from_type_hint", warnings);
        model.type_hint_from_example = bool_key("type_hint_from_example", warnings);

        model.signature = raw.get("signature").filter(|v| !v.is_null()).cloned();
        match raw.get("saved_input_example_info") {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => model.saved_input_example_info = Some(map.clone()),
            Some(v) => warnings.push(w(
                "saved_input_example_info",
                format!("expected a mapping, found {}", describe(v)),
            )),
        }
        match raw.get("model_size_bytes") {
            None | Some(Value::Null) => {}
            Some(v) => match v.as_u64() {
                Some(n) => model.model_size_bytes = Some(n),
                None => warnings.push(w(
                    "model_size_bytes",
                    format!("expected a whole number of bytes, found {}", describe(v)),
                )),
            },
        }
        model.metadata = raw.get("metadata").filter(|v| !v.is_null()).cloned();
        if let Some(v) = &model.metadata
            && !v.is_object()
        {
            warnings.push(w(
                "metadata",
                format!("expected a mapping, found {}", describe(v)),
            ));
        }
        model.resources = raw.get("resources").filter(|v| !v.is_null()).cloned();
        model.auth_policy = raw.get("auth_policy").filter(|v| !v.is_null()).cloned();
        model.wheels = raw.get("wheels").filter(|v| !v.is_null()).cloned();

        model.unknown = raw
            .iter()
            .filter(|(k, _)| !KNOWN_KEYS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(model)
    }

    /// Whether `metadata` marks the model as external (`mlflow.model.isExternal: true`):
    /// its artifacts are not in MLflow format and pyfunc refuses to load it.
    pub fn is_external(&self) -> bool {
        self.metadata
            .as_ref()
            .and_then(|m| m.get("mlflow.model.isExternal"))
            .is_some_and(|v| v == &Value::Bool(true) || v.as_str() == Some("true"))
    }
}

fn string_list(raw: &Map, key: &str, warnings: &mut Vec<Warning>) -> Option<Vec<String>> {
    match raw.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for item in items {
                match scalar_text(item) {
                    Some(s) => out.push(s),
                    None => warnings.push(Warning::new(
                        format!("MLmodel: {key}"),
                        format!(
                            "expected a list of strings, found an item that is {}",
                            describe(item)
                        ),
                    )),
                }
            }
            Some(out)
        }
        Some(v) => {
            warnings.push(Warning::new(
                format!("MLmodel: {key}"),
                format!("expected a list of strings, found {}", describe(v)),
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_script_saved_as_mlmodel_is_said_to_be_none() {
        let script = "import urllib3, requests, json\n\n# NOTE: a token\nheader = {'a': 'b'}\npayload = {\"x\": [1]}\n";
        let e = MlModel::parse(script, &mut Vec::new()).unwrap_err();
        assert_eq!(
            e,
            "YAML error: the text does not read as one YAML document (PyYAML: expected \
             '<document start>'); this is not an MLmodel file: it starts `import urllib3, \
             requests, json`, where MLflow writes `flavors:` and other keys"
        );
        // Broken YAML that is keyed is told as YAML only.
        let e = MlModel::parse("flavors:\n  a: [1\n", &mut Vec::new()).unwrap_err();
        assert!(
            e.starts_with("YAML error") && !e.contains("not an MLmodel"),
            "{e}"
        );
    }

    #[test]
    fn unknown_keys_are_kept_in_order() {
        let mut w = Vec::new();
        let m = MlModel::parse("flavors: {}\nzeta: 1\nalpha: [2]\n", &mut w).unwrap();
        let keys: Vec<_> = m.unknown.keys().cloned().collect();
        assert_eq!(keys, ["zeta", "alpha"]);
    }

    #[test]
    fn flavors_of_the_wrong_type_is_an_error() {
        let err = MlModel::parse("flavors: 42\n", &mut Vec::new()).unwrap_err();
        assert_eq!(
            err,
            "`flavors` must be a mapping of flavor name to its settings, found an integer (42)"
        );
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        let err = MlModel::parse("flavors:\n  a: [1, 2\nb: c\n", &mut Vec::new()).unwrap_err();
        assert!(err.contains("line 3"), "{err}");
    }

    #[test]
    fn deep_flow_nesting_is_refused_before_parsing() {
        // 100,000 nested flow mappings took the YAML parser minutes to refuse.
        let text = format!("flavors: {}", "{a: ".repeat(100_000));
        let started = std::time::Instant::now();
        let err = MlModel::parse(&text, &mut Vec::new()).unwrap_err();
        assert!(err.contains("nested more than 100 levels"), "{err}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "a hang guard"
        );
        // Nesting a real file uses is read.
        let ok = format!(
            "flavors: {{}}\nmetadata: {}1{}\n",
            "[".repeat(50),
            "]".repeat(50)
        );
        assert!(MlModel::parse(&ok, &mut Vec::new()).is_ok());
    }

    #[test]
    fn tags_safe_loading_refuses_are_refused() {
        let text = "flavors: {}\nmetadata:\n  x: !!python/object/apply:os.system ['id']\n";
        let err = MlModel::parse(text, &mut Vec::new()).unwrap_err();
        assert_eq!(
            err,
            "YAML error at line 3: the tag !!python/object/apply:os.system is not one MLflow reads (yaml.safe_load: could not determine a constructor for the tag 'tag:yaml.org,2002:python/object/apply:os.system'); refused"
        );
        assert!(MlModel::parse("flavors: {}\nmetadata: !custom 1\n", &mut Vec::new()).is_err());
        // Safe tags, and '!' in text, quotes, comments and block scalars, are fine.
        let fine = "flavors: {}\nmetadata:\n  a: !!str 5\n  b: 'hi !there'\n  c: wow !important\n  d: |\n    !not a tag\n  e: x # !comment\n";
        assert!(MlModel::parse(fine, &mut Vec::new()).is_ok());
    }

    #[test]
    fn alias_bombs_are_refused_quickly() {
        let mut text = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let mut prev = 'a';
        for name in ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] {
            let refs = vec![format!("*{prev}"); 9].join(",");
            text.push_str(&format!("{name}: &{name} [{refs}]\n"));
            prev = name;
        }
        text.push_str("flavors: {}\n");
        let err = MlModel::parse(&text, &mut Vec::new()).unwrap_err();
        assert!(err.contains("repetition limit exceeded"), "{err}");
    }

    #[test]
    fn legacy_time_created_is_read() {
        let mut w = Vec::new();
        let m = MlModel::parse(
            "flavors: {x: {}}\ntime_created: 2018-05-25 17:28:53\n",
            &mut w,
        )
        .unwrap();
        assert_eq!(m.utc_time_created.as_deref(), Some("2018-05-25 17:28:53"));
        assert!(m.time_created_is_legacy);
    }
}
