//! `kafka-topics`: see `kafkit::cli::topics`.

fn main() -> std::process::ExitCode {
    kafkit::cli::topics::main(std::env::args_os().skip(1).collect())
}
