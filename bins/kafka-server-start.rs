//! `kafka-server-start`: parse arguments, detach for `-daemon`, otherwise run the broker on a
//! multi-threaded tokio runtime until SIGINT/SIGTERM. All logic is in `kafkit::cli::server_start`.

use std::process::ExitCode;

use kafkit::cli::server_start;

fn main() -> ExitCode {
    let args = server_start::parse_args(std::env::args_os());
    if args.daemon {
        return server_start::finish(server_start::daemonize(&args));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| kafkit::Error::io("cannot start the tokio runtime", e));
    server_start::finish(runtime.and_then(|rt| rt.block_on(server_start::run(args))))
}
