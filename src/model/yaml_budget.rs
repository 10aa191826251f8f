//! YAML read into JSON values with a bound on what the reading may build: every value the
//! parser hands over, aliases expanded, is counted against a budget as it arrives, so a small
//! file whose aliases point at wide lists (which pass the parser's own repetition limit, since
//! that counts alias jumps, not the values behind them) is refused before it takes memory.
//! Scalars become values exactly as `serde_json::Value` would make them.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// The estimated bytes of memory a YAML file may expand to once read (aliases expanded):
/// about 100 MB of values at most. A file without aliases costs about what it is long, far
/// below this for any `MLmodel` or environment file MLflow writes.
pub const MAX_EXPANDED_BYTES: usize = 64 << 20;

/// What one value costs besides its text: a `serde_json::Value` in a list or a map entry,
/// with the room its container keeps for growth.
const NODE_COST: usize = 64;

/// Why a budgeted read ended early.
#[derive(Debug)]
pub struct OverBudget;

/// Reads `de`'s one document into a JSON value, counting each value it builds (aliases
/// expanded) at [`NODE_COST`] plus its text against `budget` bytes. Past the budget the read
/// ends with a custom error whose text is [`OVER_BUDGET`].
pub fn read<'de, D: de::Deserializer<'de>>(de: D, budget: usize) -> Result<Value, D::Error> {
    let left = Cell::new(budget);
    Budgeted { left: &left }.deserialize(de)
}

/// The text of the error a read past its budget ends with.
pub const OVER_BUDGET: &str = "mlmodel-inspector: the YAML's values expand past the budget";

#[derive(Clone, Copy)]
struct Budgeted<'a> {
    left: &'a Cell<usize>,
}

impl Budgeted<'_> {
    fn spend<E: de::Error>(&self, bytes: usize) -> Result<(), E> {
        let cost = NODE_COST.saturating_add(bytes);
        match self.left.get().checked_sub(cost) {
            Some(left) => {
                self.left.set(left);
                Ok(())
            }
            None => {
                self.left.set(0);
                Err(E::custom(OVER_BUDGET))
            }
        }
    }

    /// A scalar made as serde_json makes it from the same visit.
    fn scalar<'de, E: de::Error, T: IntoDeserializer<'de, serde_json::Error>>(
        &self,
        v: T,
        bytes: usize,
    ) -> Result<Value, E> {
        self.spend::<E>(bytes)?;
        <Value as serde::Deserialize>::deserialize(v.into_deserializer()).map_err(E::custom)
    }
}

impl<'de> DeserializeSeed<'de> for Budgeted<'_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, de: D) -> Result<Value, D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Budgeted<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.scalar(v, 0)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.scalar(v, 0)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.scalar(v, 0)
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        self.scalar(v, 0)
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        self.scalar(v, 0)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        self.scalar(v, 0)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.spend::<E>(v.len())?;
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.spend::<E>(v.len())?;
        Ok(Value::String(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.spend::<E>(0)?;
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }
    fn visit_some<D: de::Deserializer<'de>>(self, de: D) -> Result<Value, D::Error> {
        self.deserialize(de)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.spend::<A::Error>(0)?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.spend::<A::Error>(0)?;
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            self.spend::<A::Error>(key.len())?;
            let value = map.next_value_seed(self)?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str, budget: usize) -> Result<Value, String> {
        read(serde_yaml::Deserializer::from_str(text), budget).map_err(|e| e.to_string())
    }

    #[test]
    fn values_are_those_serde_json_makes() {
        let text = "a: 1\nb: -2\nc: 1.5\nd: .nan\ne: true\nf: ~\ng: [x, 'y', 3]\nh: {i: j}\nk: 18446744073709551615\n'1': one\n";
        let ours = read_text(text, MAX_EXPANDED_BYTES).unwrap();
        let theirs: Value = serde_yaml::from_str(text).unwrap();
        assert_eq!(ours, theirs);
        // A number past u64 is refused by both.
        let huge = "k: 340282366920938463463374607431768211455\n";
        assert!(read_text(huge, MAX_EXPANDED_BYTES).is_err());
        assert!(serde_yaml::from_str::<Value>(huge).is_err());
    }

    #[test]
    fn wide_aliases_are_counted_as_they_expand() {
        let wide = vec!["0"; 2000].join(",");
        let refs = vec!["*a"; 2000].join(",");
        let text = format!("a: &a [{wide}]\nb: [{refs}]\n");
        assert!(text.len() < 20_000);
        let err = read_text(&text, MAX_EXPANDED_BYTES).unwrap_err();
        assert!(err.contains(OVER_BUDGET), "{err}");
        // The same aliases, few enough, are read.
        let text = format!("a: &a [{wide}]\nb: [*a, *a]\n");
        assert_eq!(
            read_text(&text, MAX_EXPANDED_BYTES).unwrap()["b"][1][1999],
            0
        );
    }
}
