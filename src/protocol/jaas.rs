//! `sasl.jaas.config` values (`<LoginModule> <flag> key="value" ... ;`) parsed as Kafka's
//! `JaasConfig` reads them, and the two login modules kafkit understands: Kafka's
//! `PlainLoginModule` and `ScramLoginModule`. Owns syntax only; which keys mean what to a broker
//! or a client is decided by the caller.

use std::collections::BTreeMap;

/// Kafka's SASL/PLAIN login module.
pub const PLAIN_LOGIN_MODULE: &str = "org.apache.kafka.common.security.plain.PlainLoginModule";
/// Kafka's SCRAM login module.
pub const SCRAM_LOGIN_MODULE: &str = "org.apache.kafka.common.security.scram.ScramLoginModule";
/// The prefix of a broker-side PLAIN (and, in kafkit, SCRAM seed) user entry: `user_alice="pw"`.
pub const USER_OPTION_PREFIX: &str = "user_";

const FLAGS: [&str; 4] = ["required", "requisite", "sufficient", "optional"];

/// One login module entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginModule {
    pub class: String,
    pub flag: String,
    pub options: BTreeMap<String, String>,
}

impl LoginModule {
    /// The `user_<name>="<password>"` entries, by user name.
    pub fn users(&self) -> BTreeMap<String, String> {
        self.options
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix(USER_OPTION_PREFIX)
                    .map(|user| (user.to_string(), v.clone()))
            })
            .collect()
    }
}

/// Parses a JAAS configuration value; `key` names the property in error messages. Kafka
/// requires exactly one login module in `sasl.jaas.config`.
pub fn parse(key: &str, value: &str) -> Result<LoginModule, String> {
    let tokens = tokenize(value).map_err(|e| format!("Invalid {key}: {e}"))?;
    let mut modules = Vec::new();
    let mut iter = tokens.into_iter().peekable();
    while iter.peek().is_some() {
        let class = match iter.next() {
            Some(Token::Word(w)) => w,
            _ => return Err(format!("Invalid {key}: expected a login module class name")),
        };
        let flag = match iter.next() {
            Some(Token::Word(w)) if FLAGS.contains(&w.to_ascii_lowercase().as_str()) => {
                w.to_ascii_lowercase()
            }
            _ => {
                return Err(format!(
                    "Invalid {key}: login module control flag not specified for {class}"
                ))
            }
        };
        let mut options = BTreeMap::new();
        loop {
            match iter.next() {
                Some(Token::Semicolon) => break,
                Some(Token::Word(name)) => {
                    if iter.next() != Some(Token::Equals) {
                        return Err(format!("Invalid {key}: expected '=' after {name}"));
                    }
                    match iter.next() {
                        Some(Token::Word(v)) | Some(Token::Quoted(v)) => {
                            options.insert(name, v);
                        }
                        _ => return Err(format!("Invalid {key}: expected a value for {name}")),
                    }
                }
                _ => {
                    return Err(format!(
                        "Invalid {key}: login module entries must end with ';'"
                    ))
                }
            }
        }
        modules.push(LoginModule {
            class,
            flag,
            options,
        });
    }
    match modules.len() {
        1 => Ok(modules.remove(0)),
        0 => Err(format!("Login module not specified in JAAS config ({key})")),
        _ => Err(format!(
            "JAAS config property contains {} login modules, should be 1 module ({key})",
            modules.len()
        )),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Quoted(String),
    Equals,
    Semicolon,
}

fn tokenize(value: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = value.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '=' => {
                chars.next();
                tokens.push(Token::Equals);
            }
            ';' => {
                chars.next();
                tokens.push(Token::Semicolon);
            }
            '"' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        None => return Err("unterminated quoted value".into()),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(escaped) => s.push(escaped),
                            None => return Err("unterminated quoted value".into()),
                        },
                        Some(other) => s.push(other),
                    }
                }
                tokens.push(Token::Quoted(s));
            }
            _ => {
                let mut s = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '=' | ';' | '"') {
                        break;
                    }
                    s.push(c);
                    chars.next();
                }
                tokens.push(Token::Word(s));
            }
        }
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_module_with_users() {
        let m = parse(
            "sasl.jaas.config",
            r#"org.apache.kafka.common.security.plain.PlainLoginModule required
               username="admin" password="admin-secret"
               user_admin="admin-secret" user_alice="a \"quoted\" pw";"#,
        )
        .unwrap();
        assert_eq!(m.class, PLAIN_LOGIN_MODULE);
        assert_eq!(m.flag, "required");
        assert_eq!(m.options["username"], "admin");
        let users = m.users();
        assert_eq!(users["alice"], "a \"quoted\" pw");
        assert_eq!(users.len(), 2);
    }

    #[test]
    fn malformed_configs_are_refused() {
        for bad in [
            "",
            "Module required username=\"a\"",
            "Module username=\"a\";",
            "Module required username;",
            "Module required username=\"a;",
            "A required; B required;",
        ] {
            assert!(parse("sasl.jaas.config", bad).is_err(), "{bad}");
        }
        assert!(parse("k", "Module required a=b;").is_ok());
    }
}
