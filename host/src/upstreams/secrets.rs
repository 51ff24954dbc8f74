//! Values that may be secrets: environment variables and HTTP headers of
//! upstream servers. `${NAME}` takes the host's environment variable, and
//! `file:/path` the contents of a file (without its final newline), both read
//! when the configuration loads. A [`Secret`] never shows its value in
//! `Debug` output, so it cannot reach a log, an error or a listing by
//! accident.

use std::fmt;

/// A configured value, resolved, that prints as `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Resolves `raw` (`${NAME}`, `file:/path` or a literal); the error names
    /// `what` (the key it was set for) and never the value.
    pub fn resolve(raw: &str, what: &str) -> Result<Secret, String> {
        if let Some(name) = raw.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
            return std::env::var(name)
                .map(Secret)
                .map_err(|_| format!("{what} is `${{{name}}}`, but the environment variable `{name}` is not set"));
        }
        if let Some(path) = raw.strip_prefix("file:") {
            return read_secret_file(path).map(Secret).map_err(|e| format!("{what} names file `{path}`: {e}"));
        }
        Ok(Secret(raw.to_string()))
    }

    /// The value, for the one place that hands it to the upstream.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A secret file's contents without its final line break (`\n` or `\r\n`):
/// how `file:` values and `*_FILE` variables (Docker secrets) are read.
pub fn read_secret_file(path: &str) -> std::io::Result<String> {
    let mut text = std::fs::read_to_string(path)?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_literals_environment_and_files_and_never_prints_them() {
        assert_eq!(Secret::resolve("plain", "k").unwrap().expose(), "plain");
        let path = std::env::temp_dir().join(format!("portcullis-secret-{}", std::process::id()));
        std::fs::write(&path, "s3cret\n").unwrap();
        let from_file = Secret::resolve(&format!("file:{}", path.display()), "k").unwrap();
        assert_eq!(from_file.expose(), "s3cret");
        assert_eq!(format!("{from_file:?}"), "<redacted>");
        std::fs::remove_file(&path).unwrap();
        let home = Secret::resolve("${HOME}", "k").unwrap();
        assert_eq!(home.expose(), std::env::var("HOME").unwrap());
        let missing = Secret::resolve("${PORTCULLIS_NO_SUCH_VARIABLE}", "`env.TOKEN` of server `x`").unwrap_err();
        assert!(missing.contains("`env.TOKEN` of server `x`") && missing.contains("PORTCULLIS_NO_SUCH_VARIABLE"));
    }
}
