//! `kafka-consumer-groups`: see `kafkit::cli::consumer_groups`.

fn main() -> std::process::ExitCode {
    kafkit::cli::consumer_groups::main(std::env::args_os().skip(1).collect())
}
