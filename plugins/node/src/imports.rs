//! Finding module specifiers in JavaScript tokens.

use crate::scan::Token;

/// The module specifiers that `tokens` load, in order, as written:
/// `require('x')`, `import x from 'x'`, `import {a} from 'x'`,
/// `import * as n from 'x'`, `import 'x'`, `import('x')`,
/// `export … from 'x'` (and the TypeScript `import type …` forms). A call
/// counts only when its first argument is a lone literal (`require('a' + b)`
/// does not).
/// Member accesses such as `obj.require('x')` and `import.meta` do not count.
pub fn specifiers(tokens: &[Token]) -> Vec<String> {
    let mut found = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let Token::Name(keyword) = token else {
            continue;
        };
        if i > 0 && tokens[i - 1] == Token::Punct('.') {
            continue;
        }
        let rest = &tokens[i + 1..];
        let specifier = match (keyword.as_str(), rest) {
            ("require" | "import", [Token::Punct('('), Token::Str(s), Token::Punct(')' | ','), ..]) => Some(s),
            ("import", [Token::Str(s), ..]) => Some(s),
            ("import", [Token::Name(_) | Token::Punct('{' | '*'), ..]) => from_clause(rest),
            ("export", [Token::Name(_) | Token::Punct('{' | '*'), ..]) => from_clause(rest),
            _ => None,
        };
        found.extend(specifier.cloned());
    }
    found
}

/// The string after `from` that ends an import or export clause starting at
/// `tokens`, if the clause holds only names, braces, commas and `*` before it.
fn from_clause(tokens: &[Token]) -> Option<&String> {
    for (i, token) in tokens.iter().enumerate() {
        match (token, tokens.get(i + 1)) {
            (Token::Name(from), Some(Token::Str(s))) if from == "from" => return Some(s),
            (Token::Name(_) | Token::Punct('{' | '}' | ',' | '*'), _) => {}
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::tokenize;

    fn specs(source: &str) -> Vec<String> {
        specifiers(&tokenize(source))
    }

    #[test]
    fn require_with_either_quote() {
        assert_eq!(specs("const a = require('a'); const b = require(\"b\"); require(`c`)"), ["a", "b", "c"]);
    }

    #[test]
    fn static_import_forms() {
        let source = "import a from 'a'\nimport {x, y as z} from \"b\";\nimport * as ns from 'c'\nimport d, {e} from 'd'\nimport 'e'\n";
        assert_eq!(specs(source), ["a", "b", "c", "d", "e"]);
    }

    #[test]
    fn multiline_import_clause() {
        assert_eq!(specs("import {\n  a,\n  b,\n} from 'pkg';"), ["pkg"]);
    }

    #[test]
    fn dynamic_import() {
        assert_eq!(specs("const m = await import('a'); import(\"b\").then(f)"), ["a", "b"]);
    }

    #[test]
    fn export_from_forms() {
        assert_eq!(
            specs("export * from 'a'\nexport * as n from 'b'\nexport {x, y as z} from 'c'\nexport const q = 1"),
            ["a", "b", "c"]
        );
    }

    #[test]
    fn typescript_type_imports() {
        assert_eq!(
            specs("import type {T} from 'a'\nexport type {U} from 'b'\nimport x = require('c')"),
            ["a", "b", "c"]
        );
    }

    #[test]
    fn import_attributes_do_not_hide_the_specifier() {
        assert_eq!(specs("import data from './d.json' with { type: 'json' }"), ["./d.json"]);
    }

    #[test]
    fn member_access_and_import_meta_do_not_count() {
        assert!(specs("obj.require('a'); import.meta.url; x.import('b')").is_empty());
    }

    #[test]
    fn computed_and_non_literal_specifiers_do_not_count() {
        assert!(specs("require(name); require('a' + b); import(`x${y}`)").is_empty());
        assert_eq!(specs("import('a', { with: { type: 'json' } })"), ["a"]);
    }

    #[test]
    fn comments_strings_and_regexes_do_not_count() {
        let source = "// require('a')\n/* import b from 'b' */\nconst s = \"require('c')\";\nconst r = /import 'd'/;\nrequire('e')";
        assert_eq!(specs(source), ["e"]);
    }

    #[test]
    fn a_default_import_named_from_still_finds_the_specifier() {
        assert_eq!(specs("import from from 'a'"), ["a"]);
    }
}
