"""Compare the two Redis channel layers as a bare relay: loss and latency.

Usage: python bench/layers.py [--rate 400 800] [--seconds 5] [--groups 200]

For each layer and offered rate, ``groups`` receivers each join their own group;
a sender offers ``rate`` group_send calls per second, round-robin over the
groups, for ``seconds``. Prints sent / delivered / lost and p50/p99 latency.
No Django project is involved: this measures the layer alone.
"""

import argparse
import asyncio
import os
import statistics
import time

from channels_redis.core import RedisChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/7")


def make_layer(kind):
    hosts = [{"address": REDIS_URL, "max_connections": 1000}]
    if kind == "core":
        return RedisChannelLayer(hosts=hosts, prefix="bench-core")
    return RedisPubSubChannelLayer(hosts=hosts, prefix="bench-pubsub")


async def run(kind, rate, seconds, groups):
    layer = make_layer(kind)
    channels = [await layer.new_channel() for _ in range(groups)]
    for index, channel in enumerate(channels):
        await layer.group_add(f"g{index}", channel)
    latencies = []

    async def receive(channel):
        # No timeout around receive(): cancelling it unsubscribes (pub/sub) or
        # can drop a message (core), which would be measured as loss.
        while True:
            message = await layer.receive(channel)
            latencies.append(time.perf_counter() - message["sent"])

    receivers = [asyncio.create_task(receive(c)) for c in channels]
    # Subscriptions and connections are made lazily: warm them up first.
    await asyncio.sleep(2)
    sent = 0
    start = time.perf_counter()
    interval = 1 / rate
    while (now := time.perf_counter()) - start < seconds:
        due = int((now - start) / interval)
        while sent < due:
            await layer.group_send(
                f"g{sent % groups}", {"type": "relay", "sent": time.perf_counter()}
            )
            sent += 1
        await asyncio.sleep(0.001)
    elapsed = time.perf_counter() - start
    await asyncio.sleep(2)
    for task in receivers:
        task.cancel()
    await asyncio.gather(*receivers, return_exceptions=True)
    await layer.flush()
    delivered = len(latencies)
    ms = sorted(x * 1000 for x in latencies) or [0]
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(
        f"{kind:7s} offered {rate:5d}/s achieved {sent / elapsed:7.1f}/s "
        f"sent {sent:6d} delivered {delivered:6d} lost {sent - delivered:6d} "
        f"({100 * (sent - delivered) / max(sent, 1):5.1f}%) "
        f"p50 {statistics.median(ms):7.1f} ms p99 {p99:7.1f} ms"
    )


async def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=int, nargs="+", default=[400, 800])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--groups", type=int, default=200)
    args = parser.parse_args()
    for rate in args.rate:
        for kind in ("core", "pubsub"):
            await run(kind, rate, args.seconds, args.groups)


if __name__ == "__main__":
    asyncio.run(main())
