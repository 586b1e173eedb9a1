//! Admission tokens: on a relay reachable from other machines, creating a space
//! needs a token its operator issued (`bastide-relay token create`). A token has a
//! label (whom it was given to), a number of uses and an end date; the relay keeps
//! only its hash.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::SqlitePool;

use crate::store::{StoreError, connect};

/// The relay's tokens, for its operator.
pub struct Tokens {
    pool: SqlitePool,
}

/// A token just issued: the only time its text is known.
#[derive(Clone, Debug)]
pub struct Issued {
    /// What the operator gives out, e.g. `3f9a-02c1-…`.
    pub token: String,
    /// The token's id in `token list` and `token revoke`.
    pub id: String,
}

/// What `token list` shows of a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenInfo {
    /// Its id (the start of its hash).
    pub id: String,
    /// Whom it was given to.
    pub label: String,
    /// Spaces it may still create.
    pub uses_left: u32,
    /// When it stops working, in seconds since 1970 (UTC).
    pub expires_at: i64,
    /// Whether the operator revoked it.
    pub revoked: bool,
}

/// Bytes of randomness in a token.
const TOKEN_BYTES: usize = 16;

/// A token as typed (any case, with or without dashes and spaces) to its hash, or
/// `None` if it cannot be a token.
pub(crate) fn hash(token: &str) -> Option<[u8; 32]> {
    let digits: String = token
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let bytes = hex::decode(&digits).ok()?;
    if bytes.len() != TOKEN_BYTES {
        return None;
    }
    Some(*blake3::hash(&bytes).as_bytes())
}

fn id_of(hash: &[u8]) -> String {
    hex::encode(hash.get(..4).unwrap_or(hash))
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Whether `token` may create a space now.
pub(crate) async fn valid(pool: &SqlitePool, token: &[u8; 32]) -> Result<bool, StoreError> {
    let found: Option<(i64,)> = sqlx::query_as(
        "SELECT 1 FROM tokens WHERE hash = ? AND uses_left > 0 AND revoked = 0 AND expires_at > ?",
    )
    .bind(token.as_slice())
    .bind(unix_now())
    .fetch_optional(pool)
    .await?;
    Ok(found.is_some())
}

/// Spends one use of `token`; false if it has none left (or is no longer valid).
pub(crate) async fn spend(pool: &SqlitePool, token: &[u8; 32]) -> Result<bool, StoreError> {
    let spent = sqlx::query(
        "UPDATE tokens SET uses_left = uses_left - 1
         WHERE hash = ? AND uses_left > 0 AND revoked = 0 AND expires_at > ?",
    )
    .bind(token.as_slice())
    .bind(unix_now())
    .execute(pool)
    .await?;
    Ok(spent.rows_affected() == 1)
}

/// Gives back a use of `token` spent on a space that was not created.
pub(crate) async fn refund(pool: &SqlitePool, token: &[u8; 32]) -> Result<(), StoreError> {
    sqlx::query("UPDATE tokens SET uses_left = uses_left + 1 WHERE hash = ?")
        .bind(token.as_slice())
        .execute(pool)
        .await?;
    Ok(())
}

impl Tokens {
    /// Opens the relay database in `data_dir` (the relay may be running).
    pub async fn open(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(StoreError::DataDir)?;
        Ok(Self {
            pool: connect(data_dir).await?,
        })
    }

    /// Issues a token that may create `uses` spaces within `valid`.
    pub async fn create(&self, label: &str, uses: u32, valid: Duration) -> Result<Issued, StoreError> {
        let secret: [u8; TOKEN_BYTES] = bastide_proto::random_bytes();
        let digits = hex::encode(secret);
        let token = digits
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("-");
        let hash = *blake3::hash(&secret).as_bytes();
        let now = unix_now();
        let expires = now.saturating_add(i64::try_from(valid.as_secs()).unwrap_or(i64::MAX));
        sqlx::query(
            "INSERT INTO tokens (hash, label, uses_left, expires_at, created_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(hash.as_slice())
        .bind(label)
        .bind(i64::from(uses))
        .bind(expires)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(Issued {
            token,
            id: id_of(&hash),
        })
    }

    /// Every token, newest first.
    pub async fn list(&self) -> Result<Vec<TokenInfo>, StoreError> {
        let rows: Vec<(Vec<u8>, String, i64, i64, i64)> = sqlx::query_as(
            "SELECT hash, label, uses_left, expires_at, revoked FROM tokens ORDER BY created_at DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(hash, label, uses_left, expires_at, revoked)| TokenInfo {
                id: id_of(&hash),
                label,
                uses_left: u32::try_from(uses_left).unwrap_or(0),
                expires_at,
                revoked: revoked != 0,
            })
            .collect())
    }

    /// Revokes the tokens whose id is `id`; how many.
    pub async fn revoke(&self, id: &str) -> Result<u64, StoreError> {
        let id = id.trim().to_ascii_lowercase();
        if id.len() != 8 || hex::decode(&id).is_err() {
            return Ok(0);
        }
        let done = sqlx::query("UPDATE tokens SET revoked = 1 WHERE substr(hex(hash), 1, 8) = upper(?)")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Closes the database.
    pub async fn close(self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_token_creates_as_many_spaces_as_it_has_uses_until_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let tokens = Tokens::open(dir.path()).await.unwrap();
        let issued = tokens
            .create("Commune de Saint-Julien", 2, Duration::from_secs(3600))
            .await
            .unwrap();
        // Typed back in capitals and without dashes, it is the same token.
        let typed = issued.token.replace('-', "").to_uppercase();
        let hash = hash(&typed).expect("a token");
        assert!(valid(&tokens.pool, &hash).await.unwrap());
        assert!(spend(&tokens.pool, &hash).await.unwrap());
        assert!(spend(&tokens.pool, &hash).await.unwrap());
        assert!(!spend(&tokens.pool, &hash).await.unwrap(), "two uses only");
        // A use given back (its space was not created) can be spent again.
        refund(&tokens.pool, &hash).await.unwrap();
        assert!(spend(&tokens.pool, &hash).await.unwrap());
        assert!(!spend(&tokens.pool, &hash).await.unwrap());
        assert!(!valid(&tokens.pool, &hash).await.unwrap());

        let other = tokens.create("Pays", 5, Duration::from_secs(3600)).await.unwrap();
        let other_hash = hash_of(&other);
        assert_eq!(tokens.revoke(&other.id).await.unwrap(), 1);
        assert!(!spend(&tokens.pool, &other_hash).await.unwrap(), "revoked");
        let listed = tokens.list().await.unwrap();
        assert_eq!(listed.len(), 2);
        assert!(
            listed
                .iter()
                .any(|t| t.id == other.id && t.revoked && t.uses_left == 5)
        );
        assert!(
            listed
                .iter()
                .any(|t| t.id == issued.id && !t.revoked && t.uses_left == 0)
        );
    }

    #[tokio::test]
    async fn an_expired_or_malformed_token_opens_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let tokens = Tokens::open(dir.path()).await.unwrap();
        let expired = tokens.create("old", 3, Duration::ZERO).await.unwrap();
        assert!(!spend(&tokens.pool, &hash_of(&expired)).await.unwrap());
        assert_eq!(hash("not a token"), None);
        assert_eq!(hash("abcd"), None, "too short");
    }

    fn hash_of(issued: &Issued) -> [u8; 32] {
        hash(&issued.token).unwrap()
    }
}
