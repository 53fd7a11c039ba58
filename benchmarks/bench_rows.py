"""The JSON objects `./eslm bench --json` printed one after another into a file (each is indented over many lines)."""
import json


def read(path):
    text, decoder, rows, i = open(path).read(), json.JSONDecoder(), [], 0
    while i < len(text):
        j = text.find("{", i)
        if j < 0:
            break
        obj, i = decoder.raw_decode(text, j)
        rows.append(obj)
    return rows
