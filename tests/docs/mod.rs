//! The documentation cannot rot: the committed completions and man pages equal what the clap
//! commands render ([`generated`]), every command in README.md runs against a broker started
//! from the built binaries ([`readme`]), the README's API table matches what the broker
//! advertises, and the install helpers work ([`install`]).

mod generated;
mod install;
mod readme;
