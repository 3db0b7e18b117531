"""livechat's cache keys go through one backend object per process.

Django's ``caches`` is local to each async context: every socket's task would
get a Redis backend, and a connection pool, of its own.
"""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.test import override_settings

from livechat import shared_cache

from .conftest import new_token

pytestmark = pytest.mark.django_db(transaction=True)


def _redis_cache(url):
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "livechat-caching-test",
        }
    }


def _clients(url):
    import redis

    client = redis.Redis.from_url(url)
    try:
        return client.info("clients")["connected_clients"]
    finally:
        client.close()


async def test_one_backend_for_every_task_and_thread(redis_layer_url):
    with override_settings(CACHES=_redis_cache(redis_layer_url)):

        async def backend():
            return await sync_to_async(shared_cache.shared)()

        tasks = [asyncio.create_task(backend()) for _ in range(5)]
        found = await asyncio.gather(*tasks)
        assert len({id(b) for b in found}) == 1
        assert shared_cache.shared() is found[0]
    # A new CACHES setting: a new backend object.
    assert shared_cache.shared() is not found[0]


async def test_sockets_do_not_each_open_a_redis_connection(
    visitor_client, redis_layer_url
):
    with override_settings(CACHES=_redis_cache(redis_layer_url)):
        first = await visitor_client(token=new_token()[1])
        await first.expect("welcome")  # the availability answer is cached
        before = await sync_to_async(_clients)(redis_layer_url)
        shoppers = []
        for _ in range(20):
            shopper = await visitor_client(token=new_token()[1])
            await shopper.expect("welcome")
            shoppers.append(shopper)
        after = await sync_to_async(_clients)(redis_layer_url)
        assert after - before < 5, f"{after - before} new Redis connections"
        for shopper in [first, *shoppers]:
            await shopper.disconnect()
