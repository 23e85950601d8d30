"""The MiniLM encoder: the packaged weights in TensorFlow, pooled as the model was trained."""

import numpy as np
import pytest

from bot.components.minilm_encoder import (
    EMBEDDING_DIM,
    MiniLMEncoder,
    ModelNotFound,
    default_model_path,
)


@pytest.fixture(scope="module")
def encoder():
    return MiniLMEncoder(max_length=32, batch_size=4)


def test_embeddings_are_unit_length_rows_of_384(encoder):
    vectors = encoder.encode(["Where is my parcel?", "hello", ""])
    assert vectors.shape == (3, EMBEDDING_DIM)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_paraphrases_are_closer_than_unrelated_messages(encoder):
    track, parcel, weather = encoder.encode(
        ["I want to track my order", "where is my parcel?", "will it rain in Paris tomorrow"]
    )
    assert track @ parcel > track @ weather + 0.2


def test_graph_embedding_equals_eager_mean_pooling_of_the_same_weights(encoder):
    from transformers import TFBertModel

    model = TFBertModel.from_pretrained(str(default_model_path()))
    text = "My lamp arrived broken, can I send it back?"
    encoding = encoder._tokenizer.encode(text)
    ids = np.array([encoding.ids], dtype=np.int32)
    hidden = model(input_ids=ids, attention_mask=np.ones_like(ids)).last_hidden_state.numpy()[0]
    expected = hidden.mean(axis=0)
    expected /= np.linalg.norm(expected)
    assert np.allclose(encoder.encode([text])[0], expected, atol=1e-5)


def test_padding_in_a_batch_does_not_change_a_short_message(encoder):
    short = "refund please"
    alone = encoder.encode([short])[0]
    batched = encoder.encode([short, "a much longer message " * 5, "another one", "x"])[0]
    assert np.allclose(alone, batched, atol=1e-5)


def test_a_20000_character_message_is_truncated_to_max_length(encoder):
    long_text = "please cancel my order " * 900
    assert len(long_text) > 20_000
    cut = encoder._tokenizer.encode(long_text)
    assert len(cut.ids) == encoder.max_length
    head = encoder._tokenizer.decode(cut.ids, skip_special_tokens=True)
    assert np.allclose(encoder.encode([long_text])[0], encoder.encode([head])[0], atol=1e-4)


def test_word_piece_spans_point_at_the_characters_they_came_from(encoder):
    text = "Unbelievable delays"
    _, pieces, spans = encoder.encode_with_tokens([text])
    assert pieces[0].shape == (len(spans[0]), EMBEDDING_DIM)
    assert "".join(text[s:e] for s, e in spans[0]) == "Unbelievabledelays"


def test_a_folder_without_the_weights_is_refused_with_the_missing_files(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ModelNotFound, match="model.safetensors, tokenizer.json"):
        MiniLMEncoder(model_path=str(tmp_path))


def test_a_max_length_too_small_for_a_sentence_is_refused():
    with pytest.raises(ValueError, match="max_length"):
        MiniLMEncoder(max_length=2)
