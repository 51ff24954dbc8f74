//! An exec's output: captured up to a cap, streamed to the client while the
//! command runs, and stripped of the line in which the exec wrapper reports
//! its process id.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::container::LogOutput;

use crate::caller::ClientLink;
use crate::wit::log::Level;

/// The first line the exec wrapper writes to stderr: this prefix, then its pid.
pub(super) const PID_MARKER: &str = "portcullis-exec-pid ";

/// The longest first stderr line that may still be the marker.
const MARKER_MAX: usize = 64;

/// At most one round of streamed output per this interval.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// Pending output of one stream that is sent before the interval is up.
const LOG_RECORD_MAX: usize = 16 << 10;

/// The longest progress message (the last line of output).
const PROGRESS_MESSAGE_MAX: usize = 200;

/// What was captured once the exec is over.
#[derive(Debug, Default)]
pub(super) struct Captured {
    pub(super) stdout: String,
    pub(super) stderr: String,
    pub(super) truncated: bool,
}

/// Where the wrapper's pid line stands.
enum Marker {
    /// Stderr bytes seen so far, none of them a newline yet.
    Pending(Vec<u8>),
    /// The wrapper reported its pid.
    Found(u32),
    /// Stderr did not start with the marker (the wrapper did not run).
    Absent,
}

#[derive(Clone, Copy, PartialEq)]
enum Stream {
    Stdout = 0,
    Stderr = 1,
}

/// Collects an exec's output frames.
pub(super) struct Capture {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    cap: usize,
    /// Bytes of output seen, kept or not.
    total: u64,
    marker: Marker,
    stream: Option<Notifier>,
}

impl Capture {
    /// Keeps at most `cap` bytes of stdout and stderr together; streams to
    /// `link` when there is one.
    pub(super) fn new(cap: usize, link: Option<Arc<dyn ClientLink>>) -> Self {
        Self {
            stdout: Vec::new(),
            stderr: Vec::new(),
            cap,
            total: 0,
            marker: Marker::Pending(Vec::new()),
            stream: link.map(Notifier::new),
        }
    }

    /// The pid the wrapper reported, once it has.
    pub(super) fn pid(&self) -> Option<u32> {
        match self.marker {
            Marker::Found(pid) => Some(pid),
            _ => None,
        }
    }

    /// Takes one frame of output.
    pub(super) async fn push(&mut self, frame: LogOutput) {
        match frame {
            LogOutput::StdOut { message } | LogOutput::Console { message } => self.keep(Stream::Stdout, &message).await,
            LogOutput::StdErr { message } => {
                let Marker::Pending(seen) = &mut self.marker else {
                    return self.keep(Stream::Stderr, &message).await;
                };
                seen.extend_from_slice(&message);
                let rest = match seen.iter().position(|&b| b == b'\n') {
                    Some(newline) => match parse_marker(&seen[..newline]) {
                        Some(pid) => {
                            let rest = seen.split_off(newline + 1);
                            self.marker = Marker::Found(pid);
                            rest
                        }
                        None => self.give_up_marker(),
                    },
                    None if seen.len() > MARKER_MAX => self.give_up_marker(),
                    None => return,
                };
                self.keep(Stream::Stderr, &rest).await;
            }
            LogOutput::StdIn { .. } => {}
        }
    }

    /// Ends the capture: the text of both streams, and a note on stderr if
    /// output was cut at the cap.
    pub(super) async fn finish(mut self) -> Captured {
        if let Marker::Pending(_) = self.marker {
            let rest = self.give_up_marker();
            self.keep(Stream::Stderr, &rest).await;
        }
        if let Some(notifier) = &mut self.stream {
            notifier.flush().await;
        }
        let truncated = self.total > self.cap as u64;
        let mut stderr = String::from_utf8_lossy(&self.stderr).into_owned();
        if truncated {
            if !stderr.is_empty() && !stderr.ends_with('\n') {
                stderr.push('\n');
            }
            stderr.push_str(&format!(
                "[portcullis: output truncated: kept the first {} of {} bytes of stdout and stderr]\n",
                self.cap, self.total
            ));
        }
        Captured { stdout: String::from_utf8_lossy(&self.stdout).into_owned(), stderr, truncated }
    }

    /// Stops looking for the marker; returns the stderr held back meanwhile.
    fn give_up_marker(&mut self) -> Vec<u8> {
        match std::mem::replace(&mut self.marker, Marker::Absent) {
            Marker::Pending(seen) => seen,
            _ => Vec::new(),
        }
    }

    async fn keep(&mut self, stream: Stream, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let kept = self.stdout.len() + self.stderr.len();
        let room = self.cap.saturating_sub(kept).min(bytes.len());
        let buffer = if stream == Stream::Stdout { &mut self.stdout } else { &mut self.stderr };
        buffer.extend_from_slice(&bytes[..room]);
        self.total += bytes.len() as u64;
        if let Some(notifier) = &mut self.stream {
            notifier.chunk(stream, &bytes[..room], self.total, room < bytes.len()).await;
        }
    }
}

fn parse_marker(line: &[u8]) -> Option<u32> {
    std::str::from_utf8(line).ok()?.strip_prefix(PID_MARKER)?.trim().parse().ok()
}

/// Streams output to the client, coalesced so a chatty command cannot flood
/// it: the output kept since the last send goes out as one log record per
/// stream (`info` for stdout, `warning` for stderr, logger `exec`), and to
/// the link's [`output`](ClientLink::output) (a task's status message), with a
/// progress notification (bytes so far, the last line as its message), at
/// most every [`PROGRESS_INTERVAL`] or once [`LOG_RECORD_MAX`] bytes are
/// pending, and whatever is left when the output ends.
struct Notifier {
    link: Arc<dyn ClientLink>,
    last_sent: Option<Instant>,
    /// Output not yet sent: stdout, then stderr.
    pending: [String; 2],
    progress: Option<(u64, Option<String>)>,
    cap_reported: bool,
}

impl Notifier {
    fn new(link: Arc<dyn ClientLink>) -> Self {
        Self { link, last_sent: None, pending: Default::default(), progress: None, cap_reported: false }
    }

    async fn chunk(&mut self, stream: Stream, kept: &[u8], total: u64, capped: bool) {
        let text = String::from_utf8_lossy(kept);
        self.pending[stream as usize].push_str(&text);
        if capped && !self.cap_reported {
            self.cap_reported = true;
            let note = "\n[output reached the capture limit; further output is not streamed or kept]\n";
            self.pending[Stream::Stderr as usize].push_str(note);
        }
        let line = text.lines().rev().map(str::trim).find(|l| !l.is_empty());
        let message = line.map(|l| l.chars().take(PROGRESS_MESSAGE_MAX).collect::<String>());
        if message.is_some() || self.progress.is_none() {
            self.progress = Some((total, message));
        } else if let Some((bytes, _)) = &mut self.progress {
            *bytes = total;
        }
        let due = self.last_sent.is_none_or(|at| at.elapsed() >= PROGRESS_INTERVAL);
        if due || self.pending.iter().any(|p| p.len() >= LOG_RECORD_MAX) {
            self.flush().await;
        }
    }

    /// Sends what is pending, if anything.
    async fn flush(&mut self) {
        for (stream, level) in [(Stream::Stdout, Level::Info), (Stream::Stderr, Level::Warning)] {
            let text = std::mem::take(&mut self.pending[stream as usize]);
            if !text.is_empty() {
                self.link.output(&text);
                self.link.log(level, "exec".into(), text).await;
            }
        }
        if let Some((total, message)) = self.progress.take() {
            self.last_sent = Some(Instant::now());
            self.link.progress(total as f64, None, message).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> LogOutput {
        LogOutput::StdErr { message: text.as_bytes().to_vec().into() }
    }

    fn out(text: &str) -> LogOutput {
        LogOutput::StdOut { message: text.as_bytes().to_vec().into() }
    }

    #[tokio::test]
    async fn the_marker_is_stripped_even_when_split_across_frames() {
        let mut capture = Capture::new(1024, None);
        capture.push(err("portcullis-exec-")).await;
        capture.push(out("hello\n")).await;
        capture.push(err("pid 42\nwarn")).await;
        assert_eq!(capture.pid(), Some(42));
        let captured = capture.finish().await;
        assert_eq!(captured.stdout, "hello\n");
        assert_eq!(captured.stderr, "warn");
        assert!(!captured.truncated);
    }

    #[tokio::test]
    async fn stderr_without_the_marker_is_kept_whole() {
        let mut capture = Capture::new(1024, None);
        capture.push(err("exec failed: sh: not found\n")).await;
        assert_eq!(capture.pid(), None);
        assert_eq!(capture.finish().await.stderr, "exec failed: sh: not found\n");
    }

    #[tokio::test]
    async fn output_is_cut_at_the_cap_with_a_note() {
        let mut capture = Capture::new(8, None);
        capture.push(err("portcullis-exec-pid 7\n")).await;
        capture.push(out("0123456")).await;
        capture.push(err("789abc")).await;
        let captured = capture.finish().await;
        assert_eq!(captured.stdout, "0123456");
        assert!(captured.stderr.starts_with("7\n[portcullis: output truncated"), "{}", captured.stderr);
        assert!(captured.stderr.contains("first 8 of 13 bytes"), "{}", captured.stderr);
        assert!(captured.truncated);
    }
}
