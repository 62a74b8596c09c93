//! The well-known accounts every profile seeds, and the one development password they share.

use argon2::password_hash::PasswordHasher;
use argon2::{Argon2, PasswordVerifier};

/// The password of every seeded account that has one. Development data only.
pub const DEV_PASSWORD: &str = "seedbed-dev-password";

/// A documented account a developer or a test can log in as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Account {
    pub domain: &'static str,
    /// What it is for: admin, seller, provider, customer, player, ...
    pub role: &'static str,
    pub email: &'static str,
    /// How it signs in, when not with its email and [`DEV_PASSWORD`].
    pub note: &'static str,
}

/// The argon2id hash of [`DEV_PASSWORD`], computed once per seeding run and stored in every
/// password column. The salt is fixed so that the same seed gives the same rows.
pub fn dev_password_hash() -> String {
    Argon2::default()
        .hash_password_with_salt(DEV_PASSWORD.as_bytes(), b"seedbed-dev-salt")
        .expect("argon2 accepts the fixed salt")
        .to_string()
}

/// Whether `hash` is a valid argon2 hash of `password`.
pub fn verify(password: &str, hash: &str) -> bool {
    Argon2::default().verify_password(password.as_bytes(), hash).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dev_hash_verifies_and_is_stable() {
        let hash = dev_password_hash();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify(DEV_PASSWORD, &hash));
        assert!(!verify("wrong", &hash));
        assert_eq!(hash, dev_password_hash());
    }
}
