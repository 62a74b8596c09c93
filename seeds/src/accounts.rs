//! The well-known accounts every profile seeds, and the one development password they share.

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

/// The argon2id hash of [`DEV_PASSWORD`] with the fixed salt `seedbed-dev-salt` (so that the
/// same seed gives the same rows) and argon2's default parameters, stored in every password
/// column. A constant rather than computed per run: argon2 is slow on purpose (about a tenth
/// of a second, on the path of every `seed` and `bootstrap`), and a fixed password, salt and
/// parameters give a fixed hash; a test computes it again.
pub const DEV_PASSWORD_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2VlZGJlZC1kZXYtc2FsdA$YSi/0e7nM70j4uy9El6K9gKb9bUjVBs0EEVYMJAVlFM";

/// [`DEV_PASSWORD_HASH`], owned, as the seeders take it.
pub fn dev_password_hash() -> String {
    DEV_PASSWORD_HASH.to_owned()
}

/// Whether `hash` is a valid argon2 hash of `password`.
pub fn verify(password: &str, hash: &str) -> bool {
    Argon2::default().verify_password(password.as_bytes(), hash).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordHasher;

    #[test]
    fn the_dev_hash_verifies_and_is_stable() {
        let hash = dev_password_hash();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify(DEV_PASSWORD, &hash));
        assert!(!verify("wrong", &hash));
        assert_eq!(hash, dev_password_hash());
    }

    #[test]
    fn the_dev_hash_is_what_argon2_computes() {
        let computed = Argon2::default()
            .hash_password_with_salt(DEV_PASSWORD.as_bytes(), b"seedbed-dev-salt")
            .expect("argon2 accepts the fixed salt")
            .to_string();
        assert_eq!(DEV_PASSWORD_HASH, computed, "DEV_PASSWORD_HASH is stale: set it to the computed hash");
    }
}
