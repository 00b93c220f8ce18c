--[[
revoke-tokens: records a revocation of a user's tokens and announces it in the same atomic step,
so no process can keep trusting its memory of "this token is not revoked" once the record exists
(see lib/platform/watched_facts.ts). On a Redis Cluster the message reaches the subscribers of
every node.

KEYS[1]  the revocation key: one token's `...:revoked:<jti>`, or the user's `...:tokens-nbf`
ARGV[1]  its value ("1", or "<notBeforeMs>|<keptJti>")
ARGV[2]  its time to live in milliseconds (when the revoked tokens would expire anyway)
ARGV[3]  the channel the processes watch
ARGV[4]  the user id, the message: every process forgets what it knew of that user's tokens

Returns  the number of subscribers that heard it
]]
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
return redis.call("PUBLISH", ARGV[3], ARGV[4])
