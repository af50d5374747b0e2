#!/usr/bin/env python3
"""Writes Gradflow Example (and delayed Label) records to Kafka from Python.

A feature team's own producer, as the training job reads it:
  * value: Avro single-object encoding -- the marker bytes C3 01, the 8-byte little-endian
    CRC-64-AVRO fingerprint of the writer schema's Parsing Canonical Form, then the Avro binary
    body -- of schemas/src/main/avro/Example.avsc (Label.avsc on the labels topic);
  * key: the model key as UTF-8 ("default" for the job's default model), so each model's records
    stay in order on one partition;
  * record timestamp: the example's event_time (milliseconds since the epoch, UTC);
  * an idempotent producer (enable.idempotence, acks=all): retries neither duplicate nor reorder.

Needs the Apache Avro and confluent-kafka Python packages (on Debian and Ubuntu:
`apt-get install python3-avro python3-confluent-kafka`, then run it with /usr/bin/python3;
elsewhere `pip install avro confluent-kafka`). No Schema Registry: Gradflow does not use one, and
Confluent's serializers write another framing (magic byte 0 and a schema id), which the job
refuses as a dead letter saying so.

Example:
  python3 examples/producers/python/gradflow_producer.py --bootstrap-servers localhost:9092 \\
      --topic examples --count 1000 --models ctr-de,ctr-fr

The first part (crc64_avro, parsing_canonical_form, SingleObjectEncoder, example_record,
label_record, send) is the part to copy into your own producer; the rest makes a synthetic
click-through stream to show it.
"""

import argparse
import datetime
import io
import json
import math
import os
import random
import struct
import sys

import avro.io
import avro.schema
from confluent_kafka import Producer

# --- The part to copy ------------------------------------------------------------------------

_CRC64_EMPTY = 0xC15D213AA4D7A795
_CRC64_TABLE = []
for _i in range(256):
    _fp = _i
    for _ in range(8):
        _fp = (_fp >> 1) ^ (_CRC64_EMPTY & -(_fp & 1))
    _CRC64_TABLE.append(_fp)


def crc64_avro(data: bytes) -> int:
    """The CRC-64-AVRO fingerprint (Avro specification, "Schema Fingerprints") of data."""
    fp = _CRC64_EMPTY
    for b in data:
        fp = (fp >> 8) ^ _CRC64_TABLE[(fp ^ b) & 0xFF]
    return fp


_PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}


def _collapse_primitives(node):
    """Rule [PRIMITIVES] of the Parsing Canonical Form: {"type": "long"} is written "long"."""
    if isinstance(node, dict):
        node = {k: _collapse_primitives(v) for k, v in node.items()}
        if list(node) == ["type"] and node["type"] in _PRIMITIVES:
            return node["type"]
        return node
    if isinstance(node, list):
        return [_collapse_primitives(v) for v in node]
    return node


def parsing_canonical_form(schema: avro.schema.Schema) -> str:
    """The schema's Parsing Canonical Form, as Java's SchemaNormalization writes it.

    Python avro 1.11's canonical_form keeps a logical type's primitive as {"type":"long"}
    (event_time, a timestamp-millis), where the specification and Java write "long": its
    fingerprint would match no schema the job knows, and every record would be a dead letter.
    """
    return json.dumps(_collapse_primitives(json.loads(schema.canonical_form)),
                      separators=(",", ":"))


class SingleObjectEncoder:
    """Avro single-object encoding of one schema: C3 01, fingerprint (little-endian), body."""

    def __init__(self, schema: avro.schema.Schema):
        fingerprint = crc64_avro(parsing_canonical_form(schema).encode("utf-8"))
        self.header = b"\xc3\x01" + struct.pack("<Q", fingerprint)
        self.writer = avro.io.DatumWriter(schema)

    def encode(self, datum: dict) -> bytes:
        out = io.BytesIO()
        out.write(self.header)
        self.writer.write(datum, avro.io.BinaryEncoder(out))
        return out.getvalue()


def load_schema(schemas_dir: str, name: str) -> avro.schema.Schema:
    with open(os.path.join(schemas_dir, name + ".avsc"), encoding="utf-8") as f:
        return avro.schema.parse(f.read())


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def millis(event_time_ms: int) -> datetime.datetime:
    """Python's avro writes a timestamp-millis field from an aware datetime."""
    return _EPOCH + datetime.timedelta(milliseconds=event_time_ms)


def example_record(example_id, event_time_ms, model_key, features, label=None, weight=1.0,
                   entities=(), dense=()):
    """An Example as Python's avro writes it. features: (namespace, name, value) triples."""
    return {
        "example_id": example_id,
        "event_time": millis(event_time_ms),
        "model_key": model_key,
        "entities": [{"type": t, "id": i} for t, i in entities],
        "features": [{"namespace": ns, "name": name, "index": None, "value": float(v)}
                     for ns, name, v in features],
        "dense": [float(v) for v in dense],
        "label": None if label is None else float(label),
        "weight": float(weight),
    }


def label_record(example_id, event_time_ms, model_key, label):
    """A delayed Label for the Example of example_id (and the same model_key)."""
    return {"example_id": example_id, "event_time": millis(event_time_ms),
            "model_key": model_key, "label": float(label)}


def send(producer: Producer, topic: str, key: bytes, value: bytes, timestamp_ms: int,
         on_delivery) -> None:
    """Sends one record with its event time as the record timestamp; waits while the local
    queue is full (librdkafka's queue.buffering.max.messages) instead of failing."""
    while True:
        try:
            producer.produce(topic, key=key, value=value, timestamp=timestamp_ms,
                             on_delivery=on_delivery)
            break
        except BufferError:
            producer.poll(0.1)
    producer.poll(0)


# --- A synthetic click-through stream --------------------------------------------------------

COUNTRIES = ["DE", "FR", "US", "GB", "JP", "BR", "IN", "ES"]
DEVICES = ["mobile", "desktop", "tablet"]
HOURS = [str(h) for h in range(24)]


def main(argv=None) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bootstrap-servers", required=True)
    p.add_argument("--topic", default="examples", help="the job's kafka.topics.examples")
    p.add_argument("--labels-topic", default="labels", help="the job's kafka.topics.labels")
    p.add_argument("--delayed-labels", action="store_true",
                   help="send examples without labels and each label to the labels topic"
                        " after all examples (the job needs labels.delayed: true)")
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--models", default="default",
                   help="comma-separated model keys, round robin; 'default' is the job's"
                        " default model")
    p.add_argument("--id-prefix", default="py-")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--start-millis", type=int, default=None,
                   help="event time of the first example (default: now less one second per"
                        " example), then one second apart")
    p.add_argument("--schemas", default=os.path.normpath(
        os.path.join(here, "..", "..", "..", "schemas", "src", "main", "avro")),
        help="the folder of Example.avsc and Label.avsc")
    args = p.parse_args(argv)

    examples = SingleObjectEncoder(load_schema(args.schemas, "Example"))
    labels = SingleObjectEncoder(load_schema(args.schemas, "Label"))
    producer = Producer({
        "bootstrap.servers": args.bootstrap_servers,
        "enable.idempotence": True,  # implies acks=all, in-order retries
        "acks": "all",
        "linger.ms": 5,
    })
    failures = []

    def delivered(err, msg):
        if err is not None:
            failures.append(f"{msg.topic()} key {msg.key()!r}: {err}")

    models = [m for m in args.models.split(",") if m]
    rng = random.Random(args.seed)
    start = args.start_millis
    if start is None:
        start = int(datetime.datetime.now(datetime.timezone.utc).timestamp() * 1000) \
            - args.count * 1000
    # A known logistic ground truth, so a model can learn something.
    truth = {("country", c): rng.gauss(0, 1) for c in COUNTRIES}
    truth.update({("device", d): rng.gauss(0, 1) for d in DEVICES})
    truth.update({("hour", h): rng.gauss(0, 0.5) for h in HOURS})
    pending = []
    positives = 0
    for i in range(args.count):
        model = models[i % len(models)]
        features = [("country", rng.choice(COUNTRIES), 1.0), ("device", rng.choice(DEVICES), 1.0),
                    ("hour", rng.choice(HOURS), 1.0)]
        z = sum(truth[(ns, name)] for ns, name, _ in features) - 0.5
        label = 1.0 if rng.random() < 1 / (1 + math.exp(-z)) else 0.0
        positives += int(label)
        event_time = start + i * 1000
        example_id = f"{args.id_prefix}{i}"
        # None: the job's default model (model.default_key), whose records are keyed "default".
        model_key = None if model == "default" else model
        record = example_record(example_id, event_time, model_key, features,
                                None if args.delayed_labels else label)
        key = model.encode("utf-8")
        send(producer, args.topic, key, examples.encode(record), event_time, delivered)
        if args.delayed_labels:
            observed = event_time + 30_000  # the outcome, seen 30 s after the example
            pending.append((key, observed, label_record(example_id, observed, model_key, label)))
    for key, observed, label in pending:
        send(producer, args.labels_topic, key, labels.encode(label), observed, delivered)
    left = producer.flush(60)
    if left or failures:
        print(f"gradflow_producer: {left} records not delivered, {len(failures)} failed:"
              f" {failures[:5]}", file=sys.stderr)
        return 1
    print(f"sent {args.count} examples to {args.topic}"
          + (f" and {len(pending)} labels to {args.labels_topic}" if pending else "")
          + f" ({positives} positive), keyed by model: {','.join(models)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
