//! numpy dtype names, as `np.dtype(name)` reads them in a TensorSpec.

/// Names `np.dtype` accepts (numpy 2), mapped to the dtype's own `name`.
const NAMES: &[(&str, &str)] = &[
    ("?", "bool"),
    ("b1", "bool"),
    ("bool", "bool"),
    ("bool_", "bool"),
    ("b", "int8"),
    ("i1", "int8"),
    ("int8", "int8"),
    ("byte", "int8"),
    ("B", "uint8"),
    ("u1", "uint8"),
    ("uint8", "uint8"),
    ("ubyte", "uint8"),
    ("h", "int16"),
    ("i2", "int16"),
    ("int16", "int16"),
    ("short", "int16"),
    ("H", "uint16"),
    ("u2", "uint16"),
    ("uint16", "uint16"),
    ("ushort", "uint16"),
    ("i", "int32"),
    ("i4", "int32"),
    ("int32", "int32"),
    ("intc", "int32"),
    ("I", "uint32"),
    ("u4", "uint32"),
    ("uint32", "uint32"),
    ("uintc", "uint32"),
    ("l", "int64"),
    ("q", "int64"),
    ("p", "int64"),
    ("i8", "int64"),
    ("int64", "int64"),
    ("int", "int64"),
    ("int_", "int64"),
    ("intp", "int64"),
    ("long", "int64"),
    ("longlong", "int64"),
    ("L", "uint64"),
    ("Q", "uint64"),
    ("P", "uint64"),
    ("u8", "uint64"),
    ("uint64", "uint64"),
    ("uint", "uint64"),
    ("uintp", "uint64"),
    ("ulong", "uint64"),
    ("ulonglong", "uint64"),
    ("e", "float16"),
    ("f2", "float16"),
    ("float16", "float16"),
    ("half", "float16"),
    ("f", "float32"),
    ("f4", "float32"),
    ("float32", "float32"),
    ("single", "float32"),
    ("d", "float64"),
    ("f8", "float64"),
    ("float64", "float64"),
    ("float", "float64"),
    ("double", "float64"),
    ("g", "float128"),
    ("f16", "float128"),
    ("float128", "float128"),
    ("longdouble", "float128"),
    ("F", "complex64"),
    ("c8", "complex64"),
    ("complex64", "complex64"),
    ("csingle", "complex64"),
    ("D", "complex128"),
    ("c16", "complex128"),
    ("complex128", "complex128"),
    ("complex", "complex128"),
    ("cdouble", "complex128"),
    ("G", "complex256"),
    ("c32", "complex256"),
    ("complex256", "complex256"),
    ("clongdouble", "complex256"),
    ("U", "str"),
    ("str", "str"),
    ("str_", "str"),
    ("unicode", "str"),
    ("S", "bytes"),
    ("bytes", "bytes"),
    ("bytes_", "bytes"),
    ("O", "object"),
    ("object", "object"),
    ("object_", "object"),
    ("V", "void"),
    ("void", "void"),
    ("M", "datetime64"),
    ("M8", "datetime64"),
    ("datetime64", "datetime64"),
    ("m", "timedelta64"),
    ("m8", "timedelta64"),
    ("timedelta64", "timedelta64"),
];

const TIME_UNITS: &[&str] = &[
    "Y", "M", "W", "D", "h", "m", "s", "ms", "us", "μs", "ns", "ps", "fs", "as", "generic",
];

/// Reads a dtype name the way `np.dtype(name)` does in `TensorInfo.from_json_dict`, and
/// returns numpy's own name for it (`<f4` gives `float32`).
///
/// Sized flexible types (`<U5`, `S3`) are refused with MLflow's message.
pub fn parse_dtype(text: &str) -> Result<String, String> {
    let not_understood = || format!("data type '{text}' not understood");
    let body = text.strip_prefix(['<', '>', '=', '|']).unwrap_or(text);
    if let Some((_, name)) = NAMES.iter().find(|(k, _)| *k == body) {
        return Ok((*name).to_string());
    }
    // datetime64[ns], M8[s], timedelta64[D], m8[ms]
    if let Some(open) = body.find('[') {
        let (base, rest) = body.split_at(open);
        let unit = rest
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .ok_or_else(not_understood)?;
        let base = match base {
            "datetime64" | "M8" | "M" => "datetime64",
            "timedelta64" | "m8" | "m" => "timedelta64",
            _ => return Err(not_understood()),
        };
        let digits = unit.trim_start_matches(|c: char| c.is_ascii_digit());
        if !TIME_UNITS.contains(&digits) {
            return Err(not_understood());
        }
        return Ok(format!("{base}[{unit}]"));
    }
    // U5, S3, <U10, a4, V8: sized flexible types.
    let (kind, size) = body.split_at(
        body.find(|c: char| c.is_ascii_digit())
            .unwrap_or(body.len()),
    );
    if !size.is_empty() && size.chars().all(|c| c.is_ascii_digit()) {
        let base = match kind {
            "U" | "str" | "unicode" => Some("str"),
            "S" | "a" | "bytes" => Some("bytes"),
            _ => None,
        };
        if let Some(base) = base {
            return Err(format!(
                "MLflow does not support size information in flexible numpy data types. Use np.dtype(\"{base}\") instead"
            ));
        }
        if kind == "V" {
            return Ok(format!(
                "void{}",
                size.parse::<u64>().map(|n| n * 8).unwrap_or(0)
            ));
        }
    }
    Err(not_understood())
}

/// Whether the dtype holds numbers (ints, uints, floats, complex) or booleans.
pub fn is_numeric(dtype: &str) -> bool {
    dtype == "bool"
        || dtype.starts_with("int")
        || dtype.starts_with("uint")
        || dtype.starts_with("float")
        || dtype.starts_with("complex")
}

#[cfg(test)]
mod tests {
    use super::parse_dtype;

    #[test]
    fn names_and_codes_map_to_numpy_names() {
        assert_eq!(parse_dtype("uint8").as_deref(), Ok("uint8"));
        assert_eq!(parse_dtype("<f4").as_deref(), Ok("float32"));
        assert_eq!(parse_dtype("float").as_deref(), Ok("float64"));
        assert_eq!(parse_dtype("|b1").as_deref(), Ok("bool"));
        assert_eq!(parse_dtype("M8[ns]").as_deref(), Ok("datetime64[ns]"));
        assert_eq!(
            parse_dtype("datetime64[ns]").as_deref(),
            Ok("datetime64[ns]")
        );
        assert_eq!(parse_dtype("object").as_deref(), Ok("object"));
    }

    #[test]
    fn sized_flexible_types_get_mlflows_message() {
        assert_eq!(
            parse_dtype("<U5").unwrap_err(),
            "MLflow does not support size information in flexible numpy data types. Use np.dtype(\"str\") instead"
        );
        assert!(
            parse_dtype("S3")
                .unwrap_err()
                .contains("np.dtype(\"bytes\")")
        );
    }

    #[test]
    fn unknown_names_are_not_understood() {
        assert_eq!(
            parse_dtype("uint7").unwrap_err(),
            "data type 'uint7' not understood"
        );
        assert_eq!(
            parse_dtype("datetime64[xx]").unwrap_err(),
            "data type 'datetime64[xx]' not understood"
        );
    }
}
