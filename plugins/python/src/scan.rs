//! Lexing Python source into logical lines with comments and string
//! contents removed.
//!
//! Not a full tokenizer: just enough to keep `import` text inside strings,
//! docstrings and comments from being read as code, and to join the physical
//! lines of one statement (backslash continuations, open brackets).

/// The logical lines of `source`, in order, with every comment removed and
/// every string literal (single, double or triple quoted, any prefix)
/// replaced by `""`. Indentation is kept; blank lines are dropped.
/// An unterminated single-quoted string ends at the end of its line; an
/// unterminated triple-quoted one swallows the rest of the source.
pub fn logical_lines(source: &str) -> Vec<String> {
    let chars: Vec<char> = source.chars().collect();
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            '\'' | '"' => {
                i = skip_string(&chars, i);
                line.push_str("\"\"");
                continue;
            }
            '\\' if chars.get(i + 1) == Some(&'\n') => {
                line.push(' ');
                i += 2;
                continue;
            }
            '\\' if chars.get(i + 1) == Some(&'\r') && chars.get(i + 2) == Some(&'\n') => {
                line.push(' ');
                i += 3;
                continue;
            }
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            '\n' if depth == 0 => {
                if !line.trim().is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                line.clear();
                i += 1;
                continue;
            }
            '\n' | '\r' => {
                line.push(' ');
                i += 1;
                continue;
            }
            _ => {}
        }
        line.push(c);
        i += 1;
    }
    if !line.trim().is_empty() {
        lines.push(line);
    }
    lines
}

/// The index just past the string literal whose opening quote is at `start`.
fn skip_string(chars: &[char], start: usize) -> usize {
    let quote = chars[start];
    let triple = chars.get(start + 1) == Some(&quote) && chars.get(start + 2) == Some(&quote);
    let mut i = start + if triple { 3 } else { 1 };
    while i < chars.len() {
        match chars[i] {
            // A backslash keeps the next character, even in raw strings.
            '\\' => i += 2,
            '\n' if !triple => return i,
            c if c == quote => {
                if !triple {
                    return i + 1;
                }
                if chars.get(i + 1) == Some(&quote) && chars.get(i + 2) == Some(&quote) {
                    return i + 3;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    chars.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_physical_lines_and_drops_blank_ones() {
        assert_eq!(logical_lines("import a\n\n  import b\n"), ["import a", "  import b"]);
    }

    #[test]
    fn removes_comments() {
        assert_eq!(logical_lines("x = 1  # import evil\n# import worse"), ["x = 1  "]);
    }

    #[test]
    fn blanks_single_and_double_quoted_strings() {
        assert_eq!(logical_lines(r##"s = 'import a'; t = "# not a comment""##), [r#"s = ""; t = """#]);
    }

    #[test]
    fn blanks_escaped_quotes_inside_strings() {
        assert_eq!(logical_lines(r#"s = "a \" import b"; import c"#), [r#"s = ""; import c"#]);
    }

    #[test]
    fn blanks_triple_quoted_strings_across_lines() {
        let source = "\"\"\"Docs.\n\nimport fake\n\"\"\"\nimport real\nx = '''\nfrom y import z'''\n";
        assert_eq!(logical_lines(source), ["\"\"", "import real", "x = \"\""]);
    }

    #[test]
    fn triple_quote_ends_only_at_three_quotes() {
        assert_eq!(logical_lines("s = \"\"\"a \"\" b \" c\"\"\"\nimport d"), ["s = \"\"", "import d"]);
    }

    #[test]
    fn prefixed_strings_are_blanked_too() {
        assert_eq!(logical_lines("x = rb'import a' + f\"{b}\""), ["x = rb\"\" + f\"\""]);
    }

    #[test]
    fn joins_backslash_continuations_and_open_brackets() {
        assert_eq!(logical_lines("import a, \\\n    b\n"), ["import a,      b"]);
        assert_eq!(logical_lines("from a import (\n  b,  # c\n  d,\n)\nx"), ["from a import (   b,     d, )", "x"]);
        assert_eq!(logical_lines("import a, \\\r\n b\r\n"), ["import a,   b "]);
    }

    #[test]
    fn unterminated_single_quote_ends_at_line_end() {
        assert_eq!(logical_lines("x = 'oops\nimport a"), ["x = \"\"", "import a"]);
    }
}
