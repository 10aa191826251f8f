//! Words for the user: counts with the noun in the right number ("1 row", "3 rows").

/// `n` and the noun, singular for one and plural otherwise: `count(1, "row", "rows")` is
/// `"1 row"`, `count(0, "entry", "entries")` is `"0 entries"`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn one_is_singular_and_the_rest_plural() {
        assert_eq!(count(1, "column", "columns"), "1 column");
        assert_eq!(count(0, "column", "columns"), "0 columns");
        assert_eq!(count(4, "entry", "entries"), "4 entries");
    }
}
