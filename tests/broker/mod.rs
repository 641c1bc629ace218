//! In-process broker tests: raw protocol requests for each API and its version edges.

mod admin;
mod api_versions;
mod data;
mod groups;
