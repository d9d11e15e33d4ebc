-- 0009 API tokens move the directory stamp too (issue 14), as SQLite's 0017: the store keeps which user
-- a bearer token names between requests (server/store/directory_cache.py); a token revoked, deleted or
-- given another hash or user moves the stamp of 0007. Using a token (`last_used_at`) does not.
CREATE TRIGGER api_tokens_stamp_update AFTER UPDATE OF token_hash, user_id, revoked_at ON api_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION directory_stamp_bump();
CREATE TRIGGER api_tokens_stamp_delete AFTER DELETE ON api_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION directory_stamp_bump();
