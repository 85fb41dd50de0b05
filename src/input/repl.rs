//! The interactive REPL: rustyline on a thread of its own.
//!
//! It reads lines from the terminal with editing (Emacs keys, or vi ones
//! when the readline init file asks), history search (Ctrl-R), Tab
//! completion of commands and file names, and bracketed paste (a pasted
//! block, newlines included, is one message). Plain lines become messages;
//! slash commands (parsed by `command.rs`) become [`Command`]s. Both go to
//! the session over the same bounded channel, in order, each followed by a
//! wake-up of the event loop.
//!
//! It never touches the socket and never prints directly: its notes go
//! through the REPL printer (`output/repl.rs`), which draws above the
//! prompt.
//!
//! Between lines: rustyline puts the terminal in raw mode only while
//! `readline` runs and gives back the mode it found when it returns. Keys
//! typed while the REPL is busy between two lines (sending, writing the
//! history, reading a `/file`) would then meet the line discipline's cooked
//! mode: CR turned into LF (a pasted block gains blank lines), Ctrl-D into a
//! NUL, Ctrl-C into a signal that discards them, and the kernel echoing them
//! over the output. So for as long as the REPL runs the terminal stays in
//! the editor's input mode (`InputMode`), which is what `readline` finds
//! and gives back; the mode from before is restored when the REPL stops.
//!
//! Ending: rustyline cannot be told to stop reading, but it turns SIGINT
//! into "interrupted" while it reads. So SIGINT is ignored for the process
//! once the REPL runs, and to stop the REPL the session's thread sends
//! SIGINT to the REPL thread (so that its blocking read, whichever it is,
//! is the one interrupted) until that thread says it is done
//! ([`Running::stop`]); the editor then restores the terminal itself.

use super::command::{self, Line};
use super::{Command, Input};
use crate::config::ReplSpec;
use crate::output::repl::{ReplOutput, Screen};
use crate::output::style;
use crate::protocol::frame::Role;
use rustyline::completion::FilenameCompleter;
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{
    Behavior, Cmd, ColorMode, CompletionType, ConditionalEventHandler, EditMode, EventContext,
    EventHandler, KeyEvent, Movement, RepeatCount,
};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tungstenite::Message;
use tungstenite::protocol::frame::{Frame, FrameHeader};

/// How many lines the history keeps.
const HISTORY_SIZE: usize = 1000;

mod helper;

use helper::Helper;

type Editor = rustyline::Editor<Helper, FileHistory>;

/// Ctrl-C: clear a line that has text (arming the next Ctrl-C), or end
/// `readline` as interrupted when the line is empty.
struct CtrlC(Arc<AtomicBool>);

impl ConditionalEventHandler for CtrlC {
    fn handle(
        &self,
        _: &rustyline::Event,
        _: RepeatCount,
        _: bool,
        ctx: &EventContext<'_>,
    ) -> Option<Cmd> {
        if ctx.line().is_empty() {
            Some(Cmd::Interrupt)
        } else {
            self.0.store(true, Ordering::SeqCst);
            Some(Cmd::Kill(Movement::WholeBuffer))
        }
    }
}

/// The editor, ready to run once the connection is open.
pub struct Repl {
    editor: Editor,
    history: Option<PathBuf>,
    armed: Arc<AtomicBool>,
    screen: Option<Screen>,
    /// The editor can draw above the prompt and be interrupted (false on a
    /// terminal without line editing, TERM=dumb).
    editing: bool,
    color: bool,
    use_dev_tty: bool,
    /// The client's REPL, or listen mode's (the server's).
    role: Role,
}

/// What the REPL thread needs from the session's side.
pub struct Wiring {
    /// Where input goes.
    pub tx: SyncSender<Input>,
    /// Wakes the event loop after each send.
    pub wake: Box<dyn Fn() + Send>,
    /// The REPL printer's handle for notes and errors.
    pub out: ReplOutput,
    /// The host shown in the prompt (listen mode: the address listened on).
    pub host: String,
    /// -b: typed lines are binary messages.
    pub binary: bool,
    /// --close-code and --close-reason, for Ctrl-D, /quit and a bare /close.
    pub close: (u16, String),
    /// -d messages, sent first.
    pub first: Vec<Message>,
}

impl Repl {
    /// Build the editor and load the history. Problems with the history
    /// file become `warnings`; they do not stop the REPL.
    pub fn new(
        spec: &ReplSpec,
        color: bool,
        role: Role,
        warnings: &mut Vec<String>,
    ) -> rustyline::Result<Repl> {
        let config = rustyline::Config::builder()
            .max_history_size(HISTORY_SIZE)?
            .history_ignore_dups(true)?
            .history_ignore_space(true)
            .auto_add_history(false)
            .completion_type(CompletionType::List)
            .edit_mode(if spec.vi {
                EditMode::Vi
            } else {
                EditMode::Emacs
            })
            .color_mode(if color {
                ColorMode::Enabled
            } else {
                ColorMode::Disabled
            })
            .behavior(if spec.use_dev_tty {
                Behavior::PreferTerm
            } else {
                Behavior::Stdio
            })
            .build();
        let mut editor = Editor::with_config(config)?;
        editor.set_helper(Some(Helper {
            files: FilenameCompleter::new(),
            color,
            role,
        }));
        let armed = Arc::new(AtomicBool::new(false));
        editor.bind_sequence(
            KeyEvent::ctrl('C'),
            EventHandler::Conditional(Box::new(CtrlC(Arc::clone(&armed)))),
        );
        if let Some(path) = &spec.history
            && path.exists()
            && let Err(e) = editor.load_history(path)
        {
            warnings.push(format!(
                "cannot read the history file {}: {e} (--no-history skips it)",
                path.display()
            ));
        }
        let (screen, editing) = match editor.create_external_printer() {
            Ok(p) => (
                Screen::Editor {
                    printer: Box::new(p),
                    terminal: terminal(spec.use_dev_tty),
                },
                true,
            ),
            Err(_) => (Screen::Stream(terminal(spec.use_dev_tty)), false),
        };
        Ok(Repl {
            editor,
            history: spec.history.clone(),
            armed,
            screen: Some(screen),
            editing,
            color,
            use_dev_tty: spec.use_dev_tty,
            role,
        })
    }

    /// The terminal itself, for printing once the editor has stopped.
    pub fn terminal(&self) -> Box<dyn std::io::Write + Send> {
        terminal(self.use_dev_tty)
    }

    /// Where the REPL printer draws (taken once).
    pub fn screen(&mut self) -> Screen {
        self.screen
            .take()
            .unwrap_or_else(|| Screen::Stream(self.terminal()))
    }

    /// Start reading lines on a thread of its own.
    pub fn start(self, wiring: Wiring) -> std::io::Result<Running> {
        let stop = Arc::new(AtomicBool::new(false));
        let (done_tx, done) = mpsc::channel();
        let editing = self.editing;
        if editing {
            ignore_sigint();
        }
        // Before the thread starts, and so before the session prints
        // anything a user (or a test) could answer by typing.
        let mode = if editing {
            InputMode::set(self.use_dev_tty)
        } else {
            None
        };
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("repl".into())
            .spawn(move || {
                let mut thread = ReplThread {
                    repl: self,
                    w: wiring,
                    stop: flag,
                    closing: false,
                    saving: true,
                };
                thread.run();
                let _ = done_tx.send(());
            })?;
        Ok(Running {
            stop,
            done,
            editing,
            thread: Some(thread),
            _mode: mode,
        })
    }
}

/// The running REPL thread.
pub struct Running {
    stop: Arc<AtomicBool>,
    done: Receiver<()>,
    editing: bool,
    thread: Option<JoinHandle<()>>,
    /// Restores the terminal mode when dropped, after the thread has ended
    /// (or has been given up on).
    _mode: Option<InputMode>,
}

impl Running {
    /// Stop the REPL and wait (at most `limit`) until the editor has given
    /// the terminal back. True when it has. Without line editing the
    /// thread is left blocked in its read (the terminal was never changed).
    pub fn stop(mut self, limit: Duration) -> bool {
        self.stop.store(true, Ordering::SeqCst);
        if !self.editing {
            return false;
        }
        let Some(thread) = self.thread.take() else {
            return false;
        };
        let end = Instant::now() + limit;
        loop {
            interrupt(&thread);
            match self.done.recv_timeout(Duration::from_millis(20)) {
                Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() >= end => return false,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
        }
        let _ = thread.join();
        true
    }
}

/// The terminal held in the editor's input mode between lines (see the
/// module documentation); dropping it restores the mode from before.
struct InputMode {
    fd: std::os::fd::RawFd,
    /// /dev/tty when the editor reads it (-i); otherwise `fd` is stdin.
    _tty: Option<std::fs::File>,
    before: libc::termios,
}

impl InputMode {
    /// Switch the terminal the editor reads (as rustyline picks it) to its
    /// input mode. None when that is not a terminal or cannot be changed.
    fn set(use_dev_tty: bool) -> Option<InputMode> {
        use std::os::fd::AsRawFd;
        let tty = use_dev_tty
            .then(|| {
                std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open("/dev/tty")
                    .ok()
            })
            .flatten();
        let fd = tty.as_ref().map_or(libc::STDIN_FILENO, |t| t.as_raw_fd());
        let mut before = std::mem::MaybeUninit::<libc::termios>::uninit();
        // SAFETY: `fd` is open for as long as this runs; tcgetattr fills
        // `before` when it returns 0, and only then is it read.
        let before = unsafe {
            if libc::tcgetattr(fd, before.as_mut_ptr()) != 0 {
                return None;
            }
            before.assume_init()
        };
        // What rustyline's raw mode changes for input: no CR to LF, no
        // flow control, no line editing, echo or signals from keys. VMIN
        // and VTIME are left alone (nothing reads between lines, and on
        // some systems they share slots with VEOF and VEOL, which rustyline
        // reads to map keys). Output processing stays as it was.
        let mut held = before;
        held.c_iflag &= !(libc::BRKINT | libc::ICRNL | libc::INPCK | libc::ISTRIP | libc::IXON);
        held.c_cflag |= libc::CS8;
        held.c_lflag &= !(libc::ECHO | libc::ICANON | libc::IEXTEN | libc::ISIG);
        // SAFETY: `fd` is open and `held` is a valid termios.
        if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &held) } != 0 {
            return None;
        }
        Some(InputMode {
            fd,
            _tty: tty,
            before,
        })
    }
}

impl Drop for InputMode {
    fn drop(&mut self) {
        // SAFETY: `fd` is stdin or the /dev/tty file still held here.
        unsafe {
            libc::tcsetattr(self.fd, libc::TCSANOW, &self.before);
        }
    }
}

/// SIGINT is ignored while the REPL runs: rustyline reads Ctrl-C as a key,
/// and installs its own SIGINT handler only while it reads a line.
fn ignore_sigint() {
    // SAFETY: setting a signal disposition to SIG_IGN has no preconditions.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_IGN);
    }
}

/// Interrupt the editor's read (see the module documentation).
fn interrupt(thread: &JoinHandle<()>) {
    use std::os::unix::thread::JoinHandleExt;
    // SAFETY: the thread has not been joined, so its pthread_t is valid;
    // SIGINT is either ignored or handled by rustyline.
    unsafe {
        libc::pthread_kill(thread.as_pthread_t(), libc::SIGINT);
    }
}

struct ReplThread {
    repl: Repl,
    w: Wiring,
    stop: Arc<AtomicBool>,
    /// Our Close was asked for: nothing more is sent.
    closing: bool,
    /// Still writing the history file (false after an error).
    saving: bool,
}

impl ReplThread {
    fn run(&mut self) {
        for m in std::mem::take(&mut self.w.first) {
            if !self.send(Input::Command(Command::Send(m))) {
                return;
            }
        }
        while !self.stop.load(Ordering::SeqCst) {
            let prompt = self.prompt();
            let read = self.repl.editor.readline(&prompt);
            if self.stop.load(Ordering::SeqCst) {
                break;
            }
            let go_on = match read {
                Ok(line) => {
                    self.repl.armed.store(false, Ordering::SeqCst);
                    self.remember(&line);
                    self.line(&line)
                }
                Err(ReadlineError::Interrupted) => {
                    if self.closing {
                        true
                    } else if self.repl.armed.swap(true, Ordering::SeqCst) {
                        self.close_default()
                    } else {
                        self.w.out.note(match self.repl.role {
                            Role::Client => {
                                "(To close the connection, press Ctrl-C again, or Ctrl-D.)"
                            }
                            Role::Server => "(To stop the server, press Ctrl-C again, or Ctrl-D.)",
                        });
                        true
                    }
                }
                Err(ReadlineError::Eof) => self.closing || self.close_default(),
                Err(e) => {
                    self.w.out.error(&format!("the line editor failed: {e}"));
                    let _ = self.close_default();
                    false
                }
            };
            if !go_on {
                break;
            }
        }
    }

    /// `host open> `, with the state coloured.
    fn prompt(&self) -> (String, String) {
        let (state, color) = match (self.closing, self.repl.role) {
            (true, Role::Client) => ("closing", style::PROMPT_CLOSING),
            (false, Role::Client) => ("open", style::PROMPT_OPEN),
            (true, Role::Server) => ("stopping", style::PROMPT_CLOSING),
            (false, Role::Server) => ("listening", style::PROMPT_OPEN),
        };
        let raw = format!("{} {state}> ", self.w.host);
        let styled = if self.repl.color {
            format!("{} {}> ", self.w.host, style::paint(true, color, state))
        } else {
            raw.clone()
        };
        (raw, styled)
    }

    /// Add a typed line to the history and append it to the file, unless it
    /// looks like it carries a secret.
    fn remember(&mut self, line: &str) {
        if line.trim().is_empty() || command::is_secret(line) {
            return;
        }
        let editor = &mut self.repl.editor;
        if !matches!(editor.add_history_entry(line), Ok(true)) {
            return;
        }
        let Some(path) = &self.repl.history else {
            return;
        };
        if !self.saving {
            return;
        }
        let result = match path.parent() {
            Some(dir) => create_private_dir(dir).map_err(ReadlineError::Io),
            None => Ok(()),
        }
        .and_then(|()| editor.append_history(path));
        if let Err(e) = result {
            self.saving = false;
            self.w.out.error(&format!(
                "cannot write the history file {}: {e}; history is not saved (--no-history)",
                path.display()
            ));
        }
    }

    /// Act on one typed line. False when the session is gone.
    fn line(&mut self, line: &str) -> bool {
        if self.closing {
            if !line.is_empty() {
                self.w.out.error(match self.repl.role {
                    Role::Client => "the connection is closing: nothing more is sent",
                    Role::Server => "the server is stopping: nothing more is sent",
                });
            }
            return true;
        }
        match command::parse(line, self.repl.role) {
            Ok(Line::Empty) => true,
            Ok(Line::Message(text)) => {
                let msg = if self.w.binary {
                    Message::Binary(text.into_bytes().into())
                } else {
                    Message::Text(text.into())
                };
                self.send(Input::Batch(vec![msg]))
            }
            Ok(Line::Command(c)) => self.command(c),
            Err(e) => {
                self.w.out.error(&e.0);
                true
            }
        }
    }

    fn command(&mut self, c: command::Command) -> bool {
        use command::Command as C;
        let cmd = match c {
            C::Text(t) => Command::Send(Message::Text(t.into())),
            C::Binary(b) => Command::Send(Message::Binary(b.into())),
            C::File(path) => match std::fs::read(&path) {
                Ok(b) => Command::Send(Message::Binary(b.into())),
                Err(e) => {
                    self.w.out.error(&format!(
                        "cannot read {}: {}",
                        path.display(),
                        crate::error::describe_io(&e)
                    ));
                    return true;
                }
            },
            C::Ping(p) => Command::Ping(p),
            C::Pong(p) => Command::Pong(p),
            C::Quit => return self.close_default(),
            C::Close {
                client: None,
                code: None,
                ..
            } if self.repl.role == Role::Client => return self.close_default(),
            C::Close {
                client: None,
                code: Some(code),
                reason,
            } if self.repl.role == Role::Client => return self.close(code, reason),
            // Listen mode: one client or all of them; the server goes on.
            C::Close {
                client,
                code,
                reason,
            } => Command::Close {
                client,
                code: code.unwrap_or(self.w.close.0),
                reason: if code.is_some() {
                    reason
                } else {
                    self.w.close.1.clone()
                },
            },
            C::Clients => Command::Clients,
            C::To { client, text } => Command::To {
                client,
                message: Message::Text(text.into()),
            },
            C::Frame(f) => {
                let header = FrameHeader {
                    is_final: f.fin,
                    rsv1: f.rsv[0],
                    rsv2: f.rsv[1],
                    rsv3: f.rsv[2],
                    opcode: f.opcode.bits().into(),
                    mask: None,
                };
                Command::Frame(Frame::from_payload(header, f.payload.into()))
            }
            C::Verbose(n) => Command::Verbose(n),
            C::Stats => Command::Stats,
            C::Help(topic) => {
                self.w.out.note(&command::help(topic, self.repl.role));
                return true;
            }
        };
        self.send(Input::Command(cmd))
    }

    /// Ctrl-D, /quit, a bare /close: the client closes with --close-code;
    /// listen mode stops the server.
    fn close_default(&mut self) -> bool {
        if self.repl.role == Role::Server {
            self.closing = true;
            return self.send(Input::Command(Command::Stop));
        }
        let (code, reason) = self.w.close.clone();
        self.close(code, reason)
    }

    fn close(&mut self, code: u16, reason: String) -> bool {
        self.closing = true;
        self.send(Input::Command(Command::Close {
            client: None,
            code,
            reason,
        }))
    }

    /// Hand input to the session and wake it. False when it is gone.
    fn send(&self, input: Input) -> bool {
        let ok = self.w.tx.send(input).is_ok();
        (self.w.wake)();
        ok
    }
}

/// Where the editor draws: standard output, or /dev/tty with -i when
/// standard output is not a terminal.
fn terminal(use_dev_tty: bool) -> Box<dyn std::io::Write + Send> {
    if use_dev_tty && let Ok(tty) = std::fs::OpenOptions::new().write(true).open("/dev/tty") {
        return Box::new(tty);
    }
    Box::new(std::io::stdout())
}

/// Create the history directory (and parents) readable by the user only.
fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}
