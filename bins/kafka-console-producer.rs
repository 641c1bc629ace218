//! `kafka-console-producer`: see `kafkit::cli::console_producer`.

fn main() -> std::process::ExitCode {
    kafkit::cli::console_producer::main(std::env::args_os().skip(1).collect())
}
