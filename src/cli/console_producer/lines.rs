//! Standard input as lines, Java `BufferedReader.readLine` style: `\n`, `\r` and `\r\n` end a
//! line and are removed; a last line without terminator still counts. A thread reads stdin in
//! large chunks (so a blocking read never stalls the producer's network work) and hands them
//! over a channel; lines are cut out of the current chunk without copying.

use std::io::Read;

use tokio::sync::mpsc;

/// Bytes asked for per read of stdin.
const CHUNK_SIZE: usize = 256 * 1024;
/// Chunks read ahead of the parser.
const CHUNKS_AHEAD: usize = 4;

/// Starts the stdin reader thread; chunks (or the read error) arrive on the returned channel,
/// which closes at end of input.
pub fn spawn_stdin_reader() -> mpsc::Receiver<std::io::Result<Vec<u8>>> {
    let (tx, rx) = mpsc::channel(CHUNKS_AHEAD);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        loop {
            let mut chunk = vec![0u8; CHUNK_SIZE];
            match stdin.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    chunk.truncate(n);
                    if tx.blocking_send(Ok(chunk)).is_err() {
                        break;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    break;
                }
            }
        }
    });
    rx
}

/// Splits a stream of chunks into lines. Lines are returned in place in the chunk they lie in;
/// only a line that spans chunks is copied (into `carry`).
#[derive(Debug, Default)]
pub struct LineSplitter {
    chunk: Vec<u8>,
    pos: usize,
    /// The start of a line whose end is in a later chunk.
    carry: Vec<u8>,
    /// `carry` was handed out as a line: empty it before going on.
    carry_returned: bool,
    /// The previous line ended with `\r` at the end of the data: a leading `\n` belongs to it.
    skip_lf: bool,
    eof: bool,
}

/// Where the next line is: in the current chunk, or (spanning chunks) in the carry buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineSpan {
    in_carry: bool,
    start: usize,
    end: usize,
}

impl LineSplitter {
    pub fn new() -> LineSplitter {
        LineSplitter::default()
    }

    /// Adds data read from the input (after every complete line was taken).
    pub fn push(&mut self, chunk: Vec<u8>) {
        if self.carry_returned {
            self.carry.clear();
            self.carry_returned = false;
        }
        self.carry.extend_from_slice(&self.chunk[self.pos..]);
        self.chunk = chunk;
        self.pos = 0;
    }

    /// Marks the end of input: a trailing partial line becomes the last line.
    pub fn finish(&mut self) {
        self.eof = true;
    }

    /// Consumes the terminator at `at` (and the `\n` of a `\r\n`).
    fn consume_terminator(&mut self, at: usize) {
        let terminator = self.chunk[at];
        self.pos = at + 1;
        if terminator == b'\r' {
            if self.pos < self.chunk.len() {
                if self.chunk[self.pos] == b'\n' {
                    self.pos += 1;
                }
            } else {
                self.skip_lf = true;
            }
        }
    }

    /// The next complete line, or `None` if more input is needed (or, after `finish`, none is
    /// left).
    pub fn next_line(&mut self) -> Option<LineSpan> {
        if self.carry_returned {
            self.carry.clear();
            self.carry_returned = false;
        }
        if self.skip_lf && self.pos < self.chunk.len() {
            if self.chunk[self.pos] == b'\n' {
                self.pos += 1;
            }
            self.skip_lf = false;
        }
        let found = memchr::memchr2(b'\n', b'\r', &self.chunk[self.pos..]).map(|i| self.pos + i);
        if !self.carry.is_empty() {
            let end = match found {
                Some(at) => at,
                None if self.eof => self.chunk.len(),
                None => return None,
            };
            self.carry.extend_from_slice(&self.chunk[self.pos..end]);
            match found {
                Some(at) => self.consume_terminator(at),
                None => self.pos = end,
            }
            self.carry_returned = true;
            return Some(LineSpan {
                in_carry: true,
                start: 0,
                end: self.carry.len(),
            });
        }
        match found {
            Some(at) => {
                let start = self.pos;
                self.consume_terminator(at);
                Some(LineSpan {
                    in_carry: false,
                    start,
                    end: at,
                })
            }
            None if self.eof && self.pos < self.chunk.len() => {
                let start = self.pos;
                self.pos = self.chunk.len();
                Some(LineSpan {
                    in_carry: false,
                    start,
                    end: self.chunk.len(),
                })
            }
            None => None,
        }
    }

    /// The bytes of `span` (valid until the next `push` or `next_line`).
    pub fn bytes(&self, span: LineSpan) -> &[u8] {
        let buffer = if span.in_carry {
            &self.carry
        } else {
            &self.chunk
        };
        &buffer[span.start..span.end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(chunks: &[&[u8]]) -> Vec<String> {
        let mut splitter = LineSplitter::new();
        let mut out = Vec::new();
        for chunk in chunks {
            splitter.push(chunk.to_vec());
            while let Some(span) = splitter.next_line() {
                out.push(String::from_utf8_lossy(splitter.bytes(span)).into_owned());
            }
        }
        splitter.finish();
        while let Some(span) = splitter.next_line() {
            out.push(String::from_utf8_lossy(splitter.bytes(span)).into_owned());
        }
        out
    }

    #[test]
    fn java_line_terminators() {
        assert_eq!(lines(&[b"a\nb\rc\r\nd"]), ["a", "b", "c", "d"]);
        assert_eq!(lines(&[b"a\n\nb\n"]), ["a", "", "b"]);
        assert_eq!(lines(&[b"\r\n\r\n"]), ["", ""]);
        assert_eq!(lines(&[b"\r\r"]), ["", ""]);
        assert!(lines(&[b""]).is_empty());
    }

    #[test]
    fn lines_across_chunks() {
        assert_eq!(lines(&[b"ab", b"c\r", b"\nd", b"e\n"]), ["abc", "de"]);
        assert_eq!(lines(&[b"a\r", b"", b"\n", b"b"]), ["a", "b"]);
        assert_eq!(lines(&[b"a\r", b"b"]), ["a", "b"]);
        assert_eq!(lines(&[b"ab", b"cd", b"ef"]), ["abcdef"]);
        assert_eq!(lines(&[b"ab", b"", b"c\nd", b"e\rf"]), ["abc", "de", "f"]);
    }
}
