-- The server's clock (TIME), on the node that holds KEYS[1]: a plain TIME command names no key, so a cluster client
-- could send it to any node.
-- KEYS[1] any key of the node to ask
return redis.call('TIME')
