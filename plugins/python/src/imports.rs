//! Finding the absolute imports in lexed Python lines.

/// The dotted module paths that the logical lines (from
/// [`logical_lines`](crate::scan::logical_lines)) import absolutely:
/// `import a.b as x, c` gives `a.b` and `c`; `from a.b import c, d` gives
/// `a.b.c` and `a.b.d` (each imported name may be a submodule);
/// `from a import *` gives `a`. Relative imports (`from . import x`,
/// `from .m import y`) give nothing. Statements may be indented, follow `;`,
/// follow a compound header on the same line (`try: import a`) or carry the
/// `lazy` soft keyword.
pub fn imported_modules(lines: &[String]) -> Vec<String> {
    let mut modules = Vec::new();
    for line in lines {
        for statement in line.split(';') {
            let tokens = tokenize(statement);
            parse_statement(simple_statement(&tokens), &mut modules);
        }
    }
    modules
}

/// One lexical token of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// An identifier or keyword.
    Name(String),
    /// Any other character that is not whitespace.
    Punct(char),
}

/// The tokens of one statement; runs of identifier characters become names.
fn tokenize(statement: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = statement.chars().peekable();
    while let Some(c) = chars.next() {
        if is_name_char(c) {
            let mut name = String::from(c);
            while let Some(&next) = chars.peek().filter(|&&n| is_name_char(n)) {
                name.push(next);
                chars.next();
            }
            tokens.push(Token::Name(name));
        } else if !c.is_whitespace() {
            tokens.push(Token::Punct(c));
        }
    }
    tokens
}

/// Whether `c` can appear in a Python identifier.
fn is_name_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Keywords that open a compound statement whose body may follow its `:` on
/// the same line.
const COMPOUND: &[&str] =
    &["async", "class", "def", "elif", "else", "except", "finally", "for", "if", "try", "while", "with"];

/// The tokens of the simple statement at the start of `tokens`, past any
/// compound headers (`try:`, `if x:`) and the `lazy` soft keyword.
fn simple_statement(mut tokens: &[Token]) -> &[Token] {
    loop {
        match tokens {
            [Token::Name(k), rest @ ..] if COMPOUND.contains(&k.as_str()) => {
                let Some(colon) = top_level_colon(rest) else {
                    return &[];
                };
                tokens = &rest[colon + 1..];
            }
            [Token::Name(lazy), rest @ ..]
                if lazy == "lazy" && matches!(rest.first(), Some(Token::Name(k)) if k == "import" || k == "from") =>
            {
                return rest;
            }
            _ => return tokens,
        }
    }
}

/// The index of the first `:` outside brackets.
fn top_level_colon(tokens: &[Token]) -> Option<usize> {
    let mut depth = 0usize;
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::Punct('(' | '[' | '{') => depth += 1,
            Token::Punct(')' | ']' | '}') => depth = depth.saturating_sub(1),
            Token::Punct(':') if depth == 0 => return Some(i),
            _ => {}
        }
    }
    None
}

/// Adds the modules an `import` or `from` statement imports to `modules`.
fn parse_statement(tokens: &[Token], modules: &mut Vec<String>) {
    match tokens {
        [Token::Name(k), rest @ ..] if k == "import" => {
            for item in rest.split(|t| *t == Token::Punct(',')) {
                match dotted_name(item) {
                    Some((module, [])) => modules.push(module),
                    Some((module, [Token::Name(keyword), Token::Name(_)])) if keyword == "as" => modules.push(module),
                    _ => {}
                }
            }
        }
        [Token::Name(k), rest @ ..] if k == "from" => {
            // A leading dot makes the import relative: this package's own code.
            let Some((module, [Token::Name(import), names @ ..])) = dotted_name(rest) else {
                return;
            };
            if import != "import" {
                return;
            }
            let names: Vec<&Token> = names.iter().filter(|t| !matches!(t, Token::Punct('(' | ')'))).collect();
            if names.first() == Some(&&Token::Punct('*')) {
                modules.push(module);
                return;
            }
            for item in names.split(|t| **t == Token::Punct(',')) {
                if let [Token::Name(name), ..] = item {
                    modules.push(format!("{module}.{name}"));
                }
            }
        }
        _ => {}
    }
}

/// A dotted name (`a.b.c`) at the start of `tokens`, and the tokens after it.
fn dotted_name(tokens: &[Token]) -> Option<(String, &[Token])> {
    let [Token::Name(first), rest @ ..] = tokens else {
        return None;
    };
    let mut rest = rest;
    let mut name = first.clone();
    while let [Token::Punct('.'), Token::Name(part), tail @ ..] = rest {
        name.push('.');
        name.push_str(part);
        rest = tail;
    }
    Some((name, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modules(source: &str) -> Vec<String> {
        imported_modules(&crate::scan::logical_lines(source))
    }

    #[test]
    fn plain_imports_with_aliases_and_lists() {
        assert_eq!(modules("import a.b\nimport c as x, d.e as y, f"), ["a.b", "c", "d.e", "f"]);
    }

    #[test]
    fn from_imports_name_each_imported_member() {
        assert_eq!(modules("from a.b import c, d as e"), ["a.b.c", "a.b.d"]);
        assert_eq!(modules("from a import (\n    b,\n    c,\n)"), ["a.b", "a.c"]);
        assert_eq!(modules("from a import *"), ["a"]);
    }

    #[test]
    fn relative_imports_are_ignored() {
        assert!(modules("from . import x\nfrom .mod import y\nfrom ..pkg.mod import z\nfrom.m import w").is_empty());
    }

    #[test]
    fn indented_and_nested_imports_count() {
        let source =
            "def f():\n    import a\n    try:\n        from b import c\n    except ImportError:\n        import d\n";
        assert_eq!(modules(source), ["a", "b.c", "d"]);
    }

    #[test]
    fn compound_headers_and_semicolons_on_one_line() {
        assert_eq!(modules("try: import a\nexcept ImportError: import b"), ["a", "b"]);
        assert_eq!(modules("if x[1:2]: import c"), ["c"]);
        assert_eq!(modules("x = 1; import d; from e import f"), ["d", "e.f"]);
    }

    #[test]
    fn lazy_imports_count() {
        assert_eq!(modules("lazy import a\nlazy from b import c"), ["a", "b.c"]);
    }

    #[test]
    fn words_that_merely_contain_import_do_not_count() {
        assert!(modules("important = 1\nreimport(x)\nimport_module('a')\nx.import_ = 2").is_empty());
        assert!(modules("from_ = 1\nprint(from_)").is_empty());
    }

    #[test]
    fn imports_in_comments_and_strings_do_not_count() {
        let source = "# import a\ns = 'import b'\n\"\"\"\nimport c\nfrom d import e\n\"\"\"\nimport f  # import g";
        assert_eq!(modules(source), ["f"]);
    }

    #[test]
    fn malformed_statements_give_nothing() {
        assert!(modules("import\nfrom a\nfrom a imports b\nimport a b\nimport a of b").is_empty());
    }
}
