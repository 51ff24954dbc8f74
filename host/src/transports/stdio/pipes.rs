//! Stdin and stdout as the runtime's own non-blocking pipes, when they are
//! pipes (as every MCP client that spawns the host makes them). tokio's
//! `stdin()`/`stdout()` do each read and write on a blocking-pool thread, so
//! every request crossed threads twice more than it needs to, and on a small
//! machine each wake-up of a sleeping thread costs tens of microseconds.
//! Registered with the reactor instead, the thread that serves the request
//! also reads it and writes its answer.
//!
//! The pipes' `O_NONBLOCK` is shared with whoever else holds them (a shell
//! that `exec`-less started the host), so [`Pipes`] puts blocking mode back
//! when dropped. Anything that is not a pipe (a terminal, a file, a socket)
//! keeps rmcp's blocking-pool stdio.

use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::unix::pipe;

/// The read side: stdin as a registered pipe, or rmcp's stdin.
pub enum Input {
    /// A pipe on the reactor.
    Pipe(pipe::Receiver),
    /// Anything else.
    Blocking(rmcp::transport::StdioReader),
}

/// The write side: stdout as a registered pipe, or rmcp's stdout.
pub enum Output {
    /// A pipe on the reactor.
    Pipe(pipe::Sender),
    /// Anything else.
    Blocking(rmcp::transport::StdioWriter),
}

/// Stdin and stdout for the stdio transport; restores the blocking mode of
/// the pipes it made non-blocking when dropped.
pub struct Pipes {
    made_non_blocking: Vec<RawFd>,
}

impl Pipes {
    /// Stdin and stdout, each as a registered pipe where it is one. Must be
    /// called within the runtime.
    pub fn open() -> (Pipes, Input, Output) {
        let mut made_non_blocking = Vec::new();
        let (blocking_in, blocking_out) = rmcp::transport::stdio_pipes();
        let input = match duplicate(std::io::stdin().as_fd()).and_then(|f| pipe::Receiver::from_file(f).ok()) {
            Some(receiver) => {
                made_non_blocking.push(std::io::stdin().as_raw_fd());
                Input::Pipe(receiver)
            }
            None => Input::Blocking(blocking_in),
        };
        let output = match duplicate(std::io::stdout().as_fd()).and_then(|f| pipe::Sender::from_file(f).ok()) {
            Some(sender) => {
                made_non_blocking.push(std::io::stdout().as_raw_fd());
                Output::Pipe(sender)
            }
            None => Output::Blocking(blocking_out),
        };
        tracing::debug!(pipes = made_non_blocking.len(), "stdio on the reactor");
        (Pipes { made_non_blocking }, input, output)
    }
}

impl Drop for Pipes {
    fn drop(&mut self) {
        for &fd in &self.made_non_blocking {
            // SAFETY: fcntl on a descriptor this process holds open (0 or 1).
            unsafe {
                let flags = libc::fcntl(fd, libc::F_GETFL);
                if flags >= 0 {
                    libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
                }
            }
        }
    }
}

/// A new descriptor for `fd` as a file, so that the pipe type owns (and
/// closes) its own and 0 and 1 stay open.
fn duplicate(fd: std::os::fd::BorrowedFd<'_>) -> Option<std::fs::File> {
    fd.try_clone_to_owned().ok().map(std::fs::File::from)
}

impl AsyncRead for Input {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Input::Pipe(pipe) => Pin::new(pipe).poll_read(cx, buf),
            Input::Blocking(stdin) => Pin::new(stdin).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Output {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Output::Pipe(pipe) => Pin::new(pipe).poll_write(cx, data),
            Output::Blocking(stdout) => Pin::new(stdout).poll_write(cx, data),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Output::Pipe(pipe) => Pin::new(pipe).poll_flush(cx),
            Output::Blocking(stdout) => Pin::new(stdout).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Output::Pipe(pipe) => Pin::new(pipe).poll_shutdown(cx),
            Output::Blocking(stdout) => Pin::new(stdout).poll_shutdown(cx),
        }
    }
}
