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

/// Splits a stream of chunks into lines.
#[derive(Debug, Default)]
pub struct LineSplitter {
    buf: Vec<u8>,
    pos: usize,
    /// The previous line ended with `\r` at the end of the data: a leading `\n` belongs to it.
    skip_lf: bool,
    eof: bool,
}

/// Where the next line is in the splitter's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineSpan {
    pub start: usize,
    pub end: usize,
}

impl LineSplitter {
    pub fn new() -> LineSplitter {
        LineSplitter::default()
    }

    /// Adds data read from the input.
    pub fn push(&mut self, chunk: &[u8]) {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(chunk);
    }

    /// Marks the end of input: a trailing partial line becomes the last line.
    pub fn finish(&mut self) {
        self.eof = true;
    }

    /// The next complete line, or `None` if more input is needed (or, after `finish`, none is
    /// left).
    pub fn next_line(&mut self) -> Option<LineSpan> {
        if self.skip_lf && self.pos < self.buf.len() {
            if self.buf[self.pos] == b'\n' {
                self.pos += 1;
            }
            self.skip_lf = false;
        }
        let rest = &self.buf[self.pos..];
        match memchr::memchr2(b'\n', b'\r', rest) {
            Some(at) => {
                let start = self.pos;
                let end = start + at;
                let terminator = rest[at];
                self.pos = end + 1;
                if terminator == b'\r' {
                    if self.pos < self.buf.len() {
                        if self.buf[self.pos] == b'\n' {
                            self.pos += 1;
                        }
                    } else {
                        self.skip_lf = true;
                    }
                }
                Some(LineSpan { start, end })
            }
            None if self.eof && !rest.is_empty() => {
                let start = self.pos;
                self.pos = self.buf.len();
                Some(LineSpan {
                    start,
                    end: self.buf.len(),
                })
            }
            None => None,
        }
    }

    /// The bytes of `span` (valid until the next `push`).
    pub fn bytes(&self, span: LineSpan) -> &[u8] {
        &self.buf[span.start..span.end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(chunks: &[&[u8]]) -> Vec<String> {
        let mut splitter = LineSplitter::new();
        let mut out = Vec::new();
        for chunk in chunks {
            splitter.push(chunk);
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
    }
}
