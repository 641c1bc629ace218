//! `kafka-console-consumer`: see `kafkit::cli::console_consumer`.

fn main() -> std::process::ExitCode {
    kafkit::cli::console_consumer::main(std::env::args_os().skip(1).collect())
}
