//! A host for the tools' tests: it records every call as a value and
//! answers from its fields.

use crate::host::{Container, ContainerSpec, EngineInfo, ExecResult, ExecSpec, ExitReason, Host, Level};
use plugin_kit::{Fail, InstallPlan, InstallStep, Language};
use std::cell::RefCell;

/// One call the tools made to the host.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    Create(ContainerSpec),
    List { include_stopped: bool, session: Option<String> },
    Exec { container: String, spec: ExecSpec },
    Write { container: String, path: String, data: Vec<u8> },
    Read { container: String, path: String },
    Remove { container: String, remove_volumes: bool },
    RemoveSession { session: Option<String>, remove_volumes: bool },
    Detect { language: String },
    Plan { manager: String, packages: Vec<String> },
    RunCommand { language: String, path: String },
    Progress { done: f64, total: Option<f64>, message: String },
}

/// A host that records every call and answers from its fields.
#[derive(Default)]
pub struct Fake {
    pub calls: RefCell<Vec<Call>>,
    pub logs: RefCell<Vec<(Level, String)>>,
    /// Exit codes for successive execs (0 when the list runs out).
    pub exit_codes: RefCell<Vec<i64>>,
    pub engine: Option<Fail>,
    pub exec_fails: Option<Fail>,
    pub session: Option<String>,
    pub detected: Vec<String>,
    /// The commands each install plan runs before the install command.
    pub prepare: Vec<Vec<String>>,
    /// Pretend no language pack is loaded.
    pub no_packs: bool,
    /// How many times the call asked to run as a task.
    pub task_asks: std::cell::Cell<u32>,
}

impl Fake {
    fn record(&self, call: Call) {
        self.calls.borrow_mut().push(call);
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.borrow().clone()
    }

    /// The execs so far.
    pub fn execs(&self) -> Vec<ExecSpec> {
        let execs = self.calls().into_iter().filter_map(|c| match c {
            Call::Exec { spec, .. } => Some(spec),
            _ => None,
        });
        execs.collect()
    }

    /// The argv of every exec so far.
    pub fn argvs(&self) -> Vec<Vec<String>> {
        self.execs().into_iter().map(|e| e.argv).collect()
    }
}

/// The container the fake returns.
pub fn container(id: &str, session: &str) -> Container {
    Container {
        id: id.into(),
        name: format!("{id}-name"),
        image: "img".into(),
        state: "running".into(),
        session_id: session.into(),
        network: false,
    }
}

/// `items` as owned strings.
pub fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

impl Host for Fake {
    fn engine(&self) -> Result<EngineInfo, Fail> {
        match &self.engine {
            Some(fail) => Err(fail.clone()),
            None => Ok(EngineInfo {
                version: "29.0".into(),
                api_version: "1.53".into(),
                platform: "linux/amd64".into(),
                owned_containers: 2,
            }),
        }
    }
    fn create_container(&self, spec: ContainerSpec) -> Result<Container, Fail> {
        let session = spec.session.clone().unwrap_or_else(|| "caller".into());
        self.record(Call::Create(spec));
        Ok(container("c1", &session))
    }
    fn list_containers(&self, include_stopped: bool, session: Option<String>) -> Result<Vec<Container>, Fail> {
        self.record(Call::List { include_stopped, session });
        Ok(vec![container("c1", "s")])
    }
    fn exec(&self, container: &str, spec: ExecSpec) -> Result<ExecResult, Fail> {
        if let Some(fail) = &self.exec_fails {
            return Err(fail.clone());
        }
        self.record(Call::Exec { container: container.into(), spec });
        let code = if self.exit_codes.borrow().is_empty() { 0 } else { self.exit_codes.borrow_mut().remove(0) };
        Ok(ExecResult {
            exit_code: Some(code),
            stdout: "ok".into(),
            stderr: String::new(),
            truncated: false,
            duration_ms: 10,
            reason: ExitReason::Exited,
        })
    }
    fn write_file(&self, container: &str, path: &str, data: &[u8]) -> Result<(), Fail> {
        self.record(Call::Write { container: container.into(), path: path.into(), data: data.to_vec() });
        Ok(())
    }
    fn read_file(&self, container: &str, path: &str) -> Result<Vec<u8>, Fail> {
        self.record(Call::Read { container: container.into(), path: path.into() });
        Ok(b"contents".to_vec())
    }
    fn remove_container(&self, container: &str, remove_volumes: bool) -> Result<(), Fail> {
        self.record(Call::Remove { container: container.into(), remove_volumes });
        Ok(())
    }
    fn remove_session(&self, session: Option<String>, remove_volumes: bool) -> Result<u32, Fail> {
        self.record(Call::RemoveSession { session, remove_volumes });
        Ok(3)
    }
    fn languages(&self) -> Vec<Language> {
        if self.no_packs {
            return Vec::new();
        }
        let language = |name: &str, ext: &str, manager: &str| Language {
            name: name.into(),
            file_extension: ext.into(),
            manager: manager.into(),
        };
        vec![language("python", "py", "pip"), language("node", "js", "npm")]
    }
    fn detect(&self, language: &str, _source: &str) -> Result<Vec<String>, Fail> {
        self.record(Call::Detect { language: language.into() });
        Ok(self.detected.clone())
    }
    fn plan_install(&self, manager: &str, packages: &[String]) -> Result<InstallPlan, Fail> {
        self.record(Call::Plan { manager: manager.into(), packages: packages.to_vec() });
        let env = vec![("QUIET".to_string(), "1".to_string())];
        let mut install = strings(&[manager, "install", "--"]);
        install.extend(packages.iter().cloned());
        let steps = self.prepare.iter().cloned().chain([install]);
        Ok(InstallPlan { steps: steps.map(|argv| InstallStep { argv, env: env.clone() }).collect() })
    }
    fn run_command(&self, language: &str, path: &str) -> Result<Vec<String>, Fail> {
        self.record(Call::RunCommand { language: language.into(), path: path.into() });
        Ok(vec![format!("{language}-runner"), path.to_string()])
    }
    fn session_id(&self) -> Option<String> {
        self.session.clone()
    }
    fn run_as_task(&self) -> bool {
        self.task_asks.set(self.task_asks.get() + 1);
        false
    }
    fn log(&self, level: Level, message: &str) {
        self.logs.borrow_mut().push((level, message.into()));
    }
    fn progress(&self, done: f64, total: Option<f64>, message: &str) {
        self.record(Call::Progress { done, total, message: message.into() });
    }
}
