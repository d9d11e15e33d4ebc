-- 0017 API tokens move the directory stamp too (issue 14).
-- The store keeps which user a bearer token names between requests (server/store/directory_cache.py),
-- under the directory stamp of 0014: a token revoked, deleted or given another hash or user moves it, so
-- every process drops what it kept within half a second (the one that revoked it at once). Using a token
-- (`last_used_at`) does not move it.
CREATE TRIGGER api_tokens_stamp_update AFTER UPDATE OF token_hash, user_id, revoked_at ON api_tokens
BEGIN UPDATE directory_stamp SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER api_tokens_stamp_delete AFTER DELETE ON api_tokens
BEGIN UPDATE directory_stamp SET value = value + 1 WHERE id = 1; END;
