//! Conversions between the kit's plain types and the WIT types a plugin's
//! bindings generate. The kit holds no bindings, so these are macros the
//! plugin invokes where its bindings are in scope; they generate `From`
//! impls in both directions where a plugin needs both.

/// Implements `From` between the kit's [`Fail`](crate::Fail),
/// [`Mount`](crate::Mount), [`Language`](crate::Language) and
/// [`InstallPlan`](crate::InstallPlan) and the WIT `types` interface at
/// `$types` (the path of the generated `types` module, such as
/// `portcullis::plugin::types`), both ways.
#[macro_export]
macro_rules! wit_types {
    ($($types:ident)::+) => {
        impl From<$crate::Fail> for $($types)::+::Failure {
            fn from(fail: $crate::Fail) -> Self {
                match fail {
                    $crate::Fail::NotFound(m) => Self::NotFound(m),
                    $crate::Fail::InvalidParams(m) => Self::InvalidParams(m),
                    $crate::Fail::Denied(m) => Self::Denied(m),
                    $crate::Fail::Failed(m) => Self::Failed(m),
                }
            }
        }

        impl From<$($types)::+::Failure> for $crate::Fail {
            fn from(failure: $($types)::+::Failure) -> Self {
                type Failure = $($types)::+::Failure;
                match failure {
                    Failure::NotFound(m) => Self::NotFound(m),
                    Failure::InvalidParams(m) => Self::InvalidParams(m),
                    Failure::Denied(m) => Self::Denied(m),
                    Failure::Failed(m) => Self::Failed(m),
                }
            }
        }

        impl From<$crate::Mount> for $($types)::+::Mount {
            fn from(m: $crate::Mount) -> Self {
                Self { host_path: m.host_path, container_path: m.container_path, read_only: m.read_only }
            }
        }

        impl From<$($types)::+::Mount> for $crate::Mount {
            fn from(m: $($types)::+::Mount) -> Self {
                Self { host_path: m.host_path, container_path: m.container_path, read_only: m.read_only }
            }
        }

        impl From<$crate::Language> for $($types)::+::Language {
            fn from(l: $crate::Language) -> Self {
                Self { name: l.name, file_extension: l.file_extension, manager: l.manager }
            }
        }

        impl From<$($types)::+::Language> for $crate::Language {
            fn from(l: $($types)::+::Language) -> Self {
                Self { name: l.name, file_extension: l.file_extension, manager: l.manager }
            }
        }

        impl From<$crate::InstallPlan> for $($types)::+::InstallPlan {
            fn from(plan: $crate::InstallPlan) -> Self {
                let steps = plan.steps.into_iter().map(|s| $($types)::+::InstallStep { argv: s.argv, env: s.env });
                Self { steps: steps.collect() }
            }
        }

        impl From<$($types)::+::InstallPlan> for $crate::InstallPlan {
            fn from(plan: $($types)::+::InstallPlan) -> Self {
                let steps = plan.steps.into_iter().map(|s| $crate::InstallStep { argv: s.argv, env: s.env });
                Self { steps: steps.collect() }
            }
        }
    };
}

/// Implements `From` from the kit's [`ToolSpec`](crate::ToolSpec) and
/// [`Outcome`](crate::Outcome) to the WIT `tool` and `call-result` of the
/// `tools` export at `$tools` (such as `exports::portcullis::plugin::tools`),
/// whose content blocks are the `content` of the `types` interface at `$types`.
#[macro_export]
macro_rules! wit_tools {
    ($($types:ident)::+, $($tools:ident)::+) => {
        impl From<$crate::ToolSpec> for $($tools)::+::Tool {
            fn from(t: $crate::ToolSpec) -> Self {
                Self {
                    name: t.name.into(),
                    title: Some(t.title.into()),
                    description: t.description,
                    input_schema: t.input_schema.to_string(),
                    output_schema: t.output_schema.map(|s| s.to_string()),
                    annotations: Some($($tools)::+::Annotations {
                        read_only: Some(t.annotations.read_only),
                        destructive: Some(t.annotations.destructive),
                        idempotent: Some(t.annotations.idempotent),
                        open_world: t.annotations.open_world,
                    }),
                    task_support: match t.task_support {
                        $crate::TaskSupport::Forbidden => $($tools)::+::TaskSupport::Forbidden,
                        $crate::TaskSupport::Optional => $($tools)::+::TaskSupport::Optional,
                        $crate::TaskSupport::Required => $($tools)::+::TaskSupport::Required,
                    },
                }
            }
        }

        impl From<$crate::Outcome> for $($tools)::+::CallResult {
            fn from(outcome: $crate::Outcome) -> Self {
                type Content = $($types)::+::Content;
                let content = outcome.content.into_iter().map(|block| match block {
                    $crate::Block::Text(text) => Content::Text(text),
                    $crate::Block::Image { data, mime_type } => {
                        Content::Image($($types)::+::Media { data, mime_type: mime_type.into() })
                    }
                    $crate::Block::Blob { uri, data } => Content::Resource($($types)::+::ResourceContents {
                        uri,
                        mime_type: Some("application/octet-stream".into()),
                        body: $($types)::+::ResourceBody::Blob(data),
                    }),
                });
                Self {
                    content: content.collect(),
                    structured_content: outcome.structured.map(|s| s.to_string()),
                    is_error: outcome.is_error,
                }
            }
        }
    };
}

/// Implements `From<`[`Verdict`](crate::Verdict)`>` for the WIT `decision` of
/// the `policy` export at `$policy` (the path of the generated module, such
/// as `exports::portcullis::plugin::policy`).
#[macro_export]
macro_rules! wit_policy {
    ($($policy:ident)::+) => {
        impl From<$crate::Verdict> for $($policy)::+::Decision {
            fn from(verdict: $crate::Verdict) -> Self {
                match verdict {
                    $crate::Verdict::Allow => Self::Allow,
                    $crate::Verdict::Deny(d) => Self::Deny($($policy)::+::Denial { reason: d.reason, setting: d.setting }),
                }
            }
        }
    };
}
