//! Lexing JavaScript (and TypeScript) source into the few token kinds that
//! module specifiers need.
//!
//! Comments are dropped; string literals keep their contents; regular
//! expression literals and templates with substitutions become opaque
//! literals, so quotes inside them cannot start a string. Whether `/` starts a
//! regular expression is guessed from the previous token, as most
//! highlighters do.

/// One lexical token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// An identifier, keyword or number.
    Name(String),
    /// A quoted string, or a template without substitutions, with its raw contents.
    Str(String),
    /// A regular expression, or a template part around a substitution.
    Literal,
    /// Any other character that is not whitespace.
    Punct(char),
}

/// Keywords after which `/` starts a regular expression rather than dividing.
const BEFORE_EXPRESSION: &[&str] = &[
    "await",
    "case",
    "delete",
    "do",
    "else",
    "extends",
    "in",
    "instanceof",
    "new",
    "of",
    "return",
    "throw",
    "typeof",
    "void",
    "yield",
];

/// The tokens of `source`, in order. Unterminated strings and regular
/// expressions end at the end of their line; an unterminated comment or
/// template swallows the rest of the source.
pub fn tokenize(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    // For each open template substitution, the brace depth outside it.
    let mut substitutions: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    let mut i = if source.starts_with("#!") { line_end(&chars, 0) } else { 0 };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            _ if c.is_whitespace() => i += 1,
            '/' if next == Some('/') => i = line_end(&chars, i),
            '/' if next == Some('*') => {
                i = find(&chars, i + 2, &['*', '/']).map_or(chars.len(), |end| end + 2);
            }
            '/' if regex_allowed(tokens.last()) => {
                i = skip_regex(&chars, i);
                tokens.push(Token::Literal);
            }
            '\'' | '"' => {
                let (end, text) = read_string(&chars, i);
                tokens.push(Token::Str(text));
                i = end;
            }
            '`' => i = template(&chars, i + 1, true, &mut tokens, &mut substitutions, depth),
            '{' => {
                depth += 1;
                tokens.push(Token::Punct(c));
                i += 1;
            }
            '}' if substitutions.last() == Some(&depth) => {
                substitutions.pop();
                i = template(&chars, i + 1, false, &mut tokens, &mut substitutions, depth);
            }
            '}' => {
                depth = depth.saturating_sub(1);
                tokens.push(Token::Punct(c));
                i += 1;
            }
            _ if is_name_char(c) => {
                let start = i;
                while i < chars.len() && is_name_char(chars[i]) {
                    i += 1;
                }
                tokens.push(Token::Name(chars[start..i].iter().collect()));
            }
            _ => {
                tokens.push(Token::Punct(c));
                i += 1;
            }
        }
    }
    tokens
}

/// Whether `c` can appear in an identifier or number.
fn is_name_char(c: char) -> bool {
    c == '_' || c == '$' || c.is_alphanumeric()
}

/// Whether a `/` after `last` starts a regular expression.
fn regex_allowed(last: Option<&Token>) -> bool {
    match last {
        None | Some(Token::Punct(_)) => !matches!(last, Some(Token::Punct(')' | ']' | '}'))),
        Some(Token::Name(name)) => BEFORE_EXPRESSION.contains(&name.as_str()),
        Some(Token::Str(_) | Token::Literal) => false,
    }
}

/// The index of the newline ending the line that `from` is on (or the end).
fn line_end(chars: &[char], from: usize) -> usize {
    find(chars, from, &['\n']).unwrap_or(chars.len())
}

/// The index where `pattern` next occurs at or after `from`.
fn find(chars: &[char], from: usize, pattern: &[char]) -> Option<usize> {
    chars.get(from..)?.windows(pattern.len()).position(|w| w == pattern).map(|p| from + p)
}

/// The string literal whose quote is at `start`: the index past it and its
/// raw contents (escapes kept as written).
fn read_string(chars: &[char], start: usize) -> (usize, String) {
    let quote = chars[start];
    let mut text = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                text.extend(chars[i..chars.len().min(i + 2)].iter());
                i += 2;
            }
            '\n' => return (i, text),
            c if c == quote => return (i + 1, text),
            c => {
                text.push(c);
                i += 1;
            }
        }
    }
    (chars.len(), text)
}

/// The index past the regular expression literal (and its flags) whose
/// opening `/` is at `start`.
fn skip_regex(chars: &[char], start: usize) -> usize {
    let mut i = start + 1;
    let mut in_class = false;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '[' => in_class = true,
            ']' => in_class = false,
            '/' if !in_class => break,
            '\n' => return i,
            _ => {}
        }
        i += 1;
    }
    i += 1;
    while i < chars.len() && is_name_char(chars[i]) {
        i += 1;
    }
    i.min(chars.len())
}

/// Reads template text from `start` (just past a backtick, or past the `}`
/// closing a substitution when `opening` is false) up to the closing
/// backtick or the next `${`; pushes the token it makes and returns the index
/// to go on from. At `${` it records that code at brace depth `depth` is
/// inside a substitution.
fn template(
    chars: &[char],
    start: usize,
    opening: bool,
    tokens: &mut Vec<Token>,
    substitutions: &mut Vec<usize>,
    depth: usize,
) -> usize {
    let mut text = String::new();
    let mut i = start;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                text.extend(chars[i..chars.len().min(i + 2)].iter());
                i += 2;
            }
            '`' => {
                tokens.push(if opening { Token::Str(text) } else { Token::Literal });
                return i + 1;
            }
            '$' if chars.get(i + 1) == Some(&'{') => {
                tokens.push(Token::Literal);
                substitutions.push(depth);
                return i + 2;
            }
            c => {
                text.push(c);
                i += 1;
            }
        }
    }
    tokens.push(Token::Literal);
    chars.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Token::*;

    fn name(s: &str) -> Token {
        Name(s.into())
    }

    fn string(s: &str) -> Token {
        Str(s.into())
    }

    #[test]
    fn names_strings_and_punctuation() {
        assert_eq!(
            tokenize("const a = require('x');"),
            [name("const"), name("a"), Punct('='), name("require"), Punct('('), string("x"), Punct(')'), Punct(';')]
        );
        assert_eq!(tokenize(r#""a\"b" 'c'"#), [string("a\\\"b"), string("c")]);
    }

    #[test]
    fn drops_comments() {
        assert_eq!(tokenize("// require('a')\n/* import 'b' */ x /** 'c' */"), [name("x")]);
    }

    #[test]
    fn skips_shebang() {
        assert_eq!(tokenize("#!/usr/bin/env node\nx"), [name("x")]);
    }

    #[test]
    fn templates_without_substitutions_are_strings() {
        assert_eq!(tokenize("`a b`"), [string("a b")]);
    }

    #[test]
    fn templates_with_substitutions_are_opaque_but_code_inside_is_read() {
        assert_eq!(
            tokenize("`x ${ f({a: 'q'}) } 'y` z"),
            [
                Literal,
                name("f"),
                Punct('('),
                Punct('{'),
                name("a"),
                Punct(':'),
                string("q"),
                Punct('}'),
                Punct(')'),
                Literal,
                name("z")
            ]
        );
        assert_eq!(tokenize("`${`${'n'}`}`"), [Literal, Literal, string("n"), Literal, Literal]);
    }

    #[test]
    fn regex_literals_hide_quotes() {
        assert_eq!(
            tokenize("x = /it's/g; require('a')")[2..],
            [Literal, Punct(';'), name("require"), Punct('('), string("a"), Punct(')')]
        );
        assert_eq!(tokenize("return /[/']/.test(s)")[1], Literal);
    }

    #[test]
    fn slash_after_a_value_divides() {
        assert_eq!(tokenize("a / b / 'c'"), [name("a"), Punct('/'), name("b"), Punct('/'), string("c")]);
        assert_eq!(tokenize("(a) / 2")[3], Punct('/'));
    }

    #[test]
    fn unterminated_strings_end_at_the_line() {
        assert_eq!(tokenize("'oops\nx"), [string("oops"), name("x")]);
    }
}
