//! SCRAM credentials, as Kafka's `UserScramCredentialRecord` holds them: per user and mechanism
//! a salt, stored key, server key and iteration count — never the password. Persisted in
//! `<log.dirs>/scram-credentials.json` (written atomically on every change). Owns the credential
//! table and its file; request validation belongs to the handlers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::broker::logging;
use crate::broker::state::write_atomically;
use crate::protocol::scram::{Credential, Mechanism, DEFAULT_ITERATIONS};
use crate::{Error, Result};

/// The credential file's name in the data directory.
pub const FILE_NAME: &str = "scram-credentials.json";

/// One stored credential in the file (binary fields in base64).
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    name: String,
    mechanism: String,
    salt: String,
    stored_key: String,
    server_key: String,
    iterations: i32,
}

/// A change requested through AlterUserScramCredentials, already validated.
#[derive(Debug, Clone)]
pub enum Change {
    Delete(String, Mechanism),
    Upsert(String, Mechanism, Credential),
}

type Table = BTreeMap<(String, Mechanism), Credential>;

#[derive(Debug)]
pub struct ScramStore {
    path: PathBuf,
    credentials: Mutex<Table>,
}

impl ScramStore {
    /// Opens the store under `log_dir`, creating `seeds` (user, mechanism, password) that have no
    /// credential yet.
    pub fn open(log_dir: &Path, seeds: &[(String, Mechanism, String)]) -> Result<ScramStore> {
        let path = log_dir.join(FILE_NAME);
        let mut table = read(&path)?;
        let mut seeded = false;
        for (user, mechanism, password) in seeds {
            if let std::collections::btree_map::Entry::Vacant(entry) =
                table.entry((user.clone(), *mechanism))
            {
                entry.insert(Credential::from_password(
                    *mechanism,
                    password,
                    DEFAULT_ITERATIONS,
                ));
                logging::info(&format!(
                    "Created {} credential for user {user} from the listener's JAAS config",
                    mechanism.name()
                ));
                seeded = true;
            }
        }
        if seeded {
            write(&path, &table)?;
        }
        Ok(ScramStore {
            path,
            credentials: Mutex::new(table),
        })
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.credentials.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn get(&self, user: &str, mechanism: Mechanism) -> Option<Credential> {
        self.table().get(&(user.to_string(), mechanism)).cloned()
    }

    pub fn contains(&self, user: &str, mechanism: Mechanism) -> bool {
        self.table().contains_key(&(user.to_string(), mechanism))
    }

    /// Every user's mechanisms and iteration counts.
    pub fn describe(&self) -> BTreeMap<String, Vec<(Mechanism, i32)>> {
        let mut out: BTreeMap<String, Vec<(Mechanism, i32)>> = BTreeMap::new();
        for ((user, mechanism), credential) in self.table().iter() {
            out.entry(user.clone())
                .or_default()
                .push((*mechanism, credential.iterations));
        }
        out
    }

    /// Applies `changes` together and persists them; on a write failure nothing changes.
    pub fn apply(&self, changes: Vec<Change>) -> Result<()> {
        let mut table = self.table();
        let mut next = table.clone();
        for change in changes {
            match change {
                Change::Delete(user, mechanism) => {
                    next.remove(&(user, mechanism));
                }
                Change::Upsert(user, mechanism, credential) => {
                    next.insert((user, mechanism), credential);
                }
            }
        }
        write(&self.path, &next)?;
        *table = next;
        Ok(())
    }
}

fn read(path: &Path) -> Result<Table> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Table::new()),
        Err(e) => return Err(Error::io(format!("cannot read {}", path.display()), e)),
    };
    let corrupt = |what: &str| Error::Config(format!("{}: {what}", path.display()));
    let records: Vec<Record> =
        serde_json::from_slice(&bytes).map_err(|e| corrupt(&e.to_string()))?;
    let mut table = Table::new();
    for r in records {
        let mechanism = Mechanism::from_name(&r.mechanism)
            .ok_or_else(|| corrupt(&format!("unknown mechanism {}", r.mechanism)))?;
        let decode = |field: &str, value: &str| {
            BASE64
                .decode(value)
                .map_err(|_| corrupt(&format!("invalid {field} for user {}", r.name)))
        };
        let credential = Credential {
            salt: decode("salt", &r.salt)?,
            stored_key: decode("stored_key", &r.stored_key)?,
            server_key: decode("server_key", &r.server_key)?,
            iterations: r.iterations,
        };
        table.insert((r.name, mechanism), credential);
    }
    Ok(table)
}

fn write(path: &Path, table: &Table) -> Result<()> {
    let records: Vec<Record> = table
        .iter()
        .map(|((name, mechanism), c)| Record {
            name: name.clone(),
            mechanism: mechanism.name().to_string(),
            salt: BASE64.encode(&c.salt),
            stored_key: BASE64.encode(&c.stored_key),
            server_key: BASE64.encode(&c.server_key),
            iterations: c.iterations,
        })
        .collect();
    let json = serde_json::to_vec_pretty(&records)
        .map_err(|e| Error::Config(format!("cannot encode SCRAM credentials: {e}")))?;
    write_atomically(path, &json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_persist_without_passwords_and_changes_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let seeds = vec![(
            "alice".to_string(),
            Mechanism::Sha256,
            "alice-secret".to_string(),
        )];
        let store = ScramStore::open(dir.path(), &seeds).unwrap();
        let first = store.get("alice", Mechanism::Sha256).unwrap();
        assert_eq!(first.iterations, DEFAULT_ITERATIONS);
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert!(!text.contains("alice-secret"));
        assert!(text.contains("stored_key"));

        // A seed does not overwrite an existing credential.
        let store = ScramStore::open(dir.path(), &seeds).unwrap();
        assert_eq!(store.get("alice", Mechanism::Sha256).unwrap(), first);

        let bob = Credential::from_password(Mechanism::Sha512, "b", 8192);
        store
            .apply(vec![
                Change::Delete("alice".into(), Mechanism::Sha256),
                Change::Upsert("bob".into(), Mechanism::Sha512, bob.clone()),
            ])
            .unwrap();
        let store = ScramStore::open(dir.path(), &[]).unwrap();
        assert!(!store.contains("alice", Mechanism::Sha256));
        assert_eq!(store.get("bob", Mechanism::Sha512), Some(bob));
        assert_eq!(store.describe()["bob"], vec![(Mechanism::Sha512, 8192)]);
    }
}
