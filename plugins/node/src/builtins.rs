//! Node.js built-in modules.

/// `require('module').builtinModules` of Node.js 20: every built-in that
/// loads without the `node:` scheme, subpaths included. Sorted for binary
/// search. Newer releases add only `node:`-only modules (`node:test`,
/// `node:sqlite`), which never reach this list: a specifier with a scheme is
/// excluded before it is looked up here.
const BUILTINS: &[&str] = &[
    "_http_agent",
    "_http_client",
    "_http_common",
    "_http_incoming",
    "_http_outgoing",
    "_http_server",
    "_stream_duplex",
    "_stream_passthrough",
    "_stream_readable",
    "_stream_transform",
    "_stream_wrap",
    "_stream_writable",
    "_tls_common",
    "_tls_wrap",
    "assert",
    "assert/strict",
    "async_hooks",
    "buffer",
    "child_process",
    "cluster",
    "console",
    "constants",
    "crypto",
    "dgram",
    "diagnostics_channel",
    "dns",
    "dns/promises",
    "domain",
    "events",
    "fs",
    "fs/promises",
    "http",
    "http2",
    "https",
    "inspector",
    "inspector/promises",
    "module",
    "net",
    "os",
    "path",
    "path/posix",
    "path/win32",
    "perf_hooks",
    "process",
    "punycode",
    "querystring",
    "readline",
    "readline/promises",
    "repl",
    "stream",
    "stream/consumers",
    "stream/promises",
    "stream/web",
    "string_decoder",
    "sys",
    "timers",
    "timers/promises",
    "tls",
    "trace_events",
    "tty",
    "url",
    "util",
    "util/types",
    "v8",
    "vm",
    "wasi",
    "worker_threads",
    "zlib",
];

/// Whether `specifier` names a built-in module exactly, as Node resolves it:
/// `fs` and `fs/promises` are built in, `fs/other` and `buffer/` are not
/// (Node looks those up in `node_modules`).
pub fn is_builtin(specifier: &str) -> bool {
    BUILTINS.binary_search(&specifier).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_is_sorted_and_unique() {
        assert!(BUILTINS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn built_ins_and_their_subpaths() {
        for name in [
            "fs",
            "path",
            "http",
            "crypto",
            "child_process",
            "fs/promises",
            "stream/web",
            "util/types",
            "worker_threads",
            "assert/strict",
        ] {
            assert!(is_builtin(name), "{name}");
        }
    }

    #[test]
    fn packages_and_lookalikes_are_not() {
        for name in ["lodash", "fs/other", "buffer/", "node:fs", "test", "FS", ""] {
            assert!(!is_builtin(name), "{name}");
        }
    }
}
