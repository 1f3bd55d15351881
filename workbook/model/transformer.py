"""Parameters, FLOPs and bytes of a decoder-only transformer, in closed form.

Everything here is per *replica* (one copy of the model, possibly spread over several
chips) and pure ``jax.numpy``: a :class:`~workbook.specs.Model` and plain numbers in,
scalars out. Notation: B batch, T tokens, D d_model, F d_ff, L layers, N query heads,
K KV heads, H head dim, V vocabulary, E experts, k active experts.

All MLPs are gated (SwiGLU/GeGLU: three D x F matrices), as in every model of the catalog.
Norm weights and biases (< 0.01 % of parameters) are ignored.
"""

from __future__ import annotations

import jax.numpy as jnp

from workbook.specs import Model


def attention_params_per_layer(m: Model):
    """Weights of one attention block.

    GQA: ``D*H*(2N + 2K)`` (Q and O are D x NH, K and V are D x KH).
    MLA (DeepSeek-V2/V3): ``D*r_q + r_q*N*(d_nope + d_rope)`` (or ``D*N*(d_nope + d_rope)``
    without a query low-rank), ``+ D*(r_kv + d_rope) + r_kv*N*(d_nope + d_v) + N*d_v*D``.
    """
    gqa = m.d_model * m.head_dim * (2.0 * m.n_heads + 2.0 * m.n_kv_heads)
    qk = m.qk_nope_head_dim + m.qk_rope_head_dim
    q = jnp.where(
        m.q_lora_rank > 0,
        m.d_model * m.q_lora_rank + m.q_lora_rank * m.n_heads * qk,
        m.d_model * m.n_heads * qk,
    )
    kv = m.d_model * (m.kv_lora_rank + m.qk_rope_head_dim) + m.kv_lora_rank * m.n_heads * (
        m.qk_nope_head_dim + m.v_head_dim
    )
    o = m.n_heads * m.v_head_dim * m.d_model
    return jnp.where(m.mla > 0, q + kv + o, gqa)


def expert_params(m: Model):
    """Weights of one expert: ``3*D*F_e``."""
    return 3.0 * m.d_model * m.d_ff_expert


def _n_moe_layers(m: Model):
    return jnp.where(m.n_experts > 0, m.n_layers - m.n_dense_layers, 0.0)


def embedding_params(m: Model):
    """Input embedding plus LM head: ``V*D*(2 - tied)``."""
    return m.vocab_size * m.d_model * (2.0 - m.tied_embeddings)


def total_params(m: Model):
    """All weights: embeddings, attention, dense MLPs, experts (routed + shared), routers."""
    dense = 3.0 * m.d_model * m.d_ff * jnp.where(m.n_experts > 0, m.n_dense_layers, m.n_layers)
    moe = _n_moe_layers(m) * ((m.n_experts + m.n_shared_experts) * expert_params(m) + m.d_model * m.n_experts)
    return embedding_params(m) + m.n_layers * attention_params_per_layer(m) + dense + moe


def active_params(m: Model):
    """Weights a token uses: as :func:`total_params` with ``k + shared`` experts per MoE layer."""
    dense = 3.0 * m.d_model * m.d_ff * jnp.where(m.n_experts > 0, m.n_dense_layers, m.n_layers)
    moe = _n_moe_layers(m) * (
        (m.n_experts_active + m.n_shared_experts) * expert_params(m) + m.d_model * m.n_experts
    )
    return embedding_params(m) + m.n_layers * attention_params_per_layer(m) + dense + moe


def matmul_params_per_token(m: Model):
    """Active weights that multiply each token (the input embedding is a lookup, not a matmul).

    A token costs ``2 *`` this many FLOPs outside attention.
    """
    return active_params(m) - m.vocab_size * m.d_model * (1.0 - m.tied_embeddings)


def expected_experts_touched(m: Model, tokens):
    """Expected distinct routed experts a layer reads for ``tokens`` tokens.

    Uniform routing, each token picks k of E: ``E * (1 - (1 - k/E)^tokens)``. Smooth in the
    token count (a differentiable stand-in for "a large batch touches every expert").
    """
    e = jnp.maximum(m.n_experts, 1.0)
    frac_missed = jnp.exp(tokens * jnp.log1p(-jnp.minimum(m.n_experts_active / e, 0.999999)))
    return jnp.where(m.n_experts > 0, e * (1.0 - frac_missed), 0.0)


def sixteen_bit_params(m: Model):
    """Weights kept in 16 bits whatever the precision: the embedding table, the LM head and
    the MoE routers (``V*D*(2 - tied) + L_moe*D*E``), as in the NVFP4/FP8 recipes of
    TensorRT-LLM and vLLM (quantisation covers the linear layers)."""
    return embedding_params(m) + _n_moe_layers(m) * m.d_model * m.n_experts


def weight_bytes(m: Model, weight_bits):
    """Bytes to hold all weights: ``(P_total - P_16) * bits/8 + P_16 * 2``.

    ``weight_bits`` includes block scales (NVFP4 4.5, MXFP4 4.25; see ``specs.PRECISIONS``).
    """
    p16 = sixteen_bit_params(m)
    return (total_params(m) - p16) * weight_bits / 8.0 + p16 * 2.0


def routed_expert_bytes(m: Model, weight_bits):
    """Bytes of all routed experts: ``L_moe * E * 3*D*F_e * bits/8``."""
    return _n_moe_layers(m) * m.n_experts * expert_params(m) * weight_bits / 8.0


def dense_weight_bytes_read(m: Model, weight_bits):
    """Bytes of non-expert weights one forward pass streams: attention, dense MLPs, shared
    experts, routers and the LM head (16-bit where :func:`sixteen_bit_params` says), not the
    input embedding table (only the tokens' rows of it are gathered) nor routed experts."""
    routed = _n_moe_layers(m) * m.n_experts * expert_params(m)
    gathered = m.vocab_size * m.d_model * (1.0 - m.tied_embeddings)
    p16_read = m.vocab_size * m.d_model + _n_moe_layers(m) * m.d_model * m.n_experts
    params = total_params(m) - routed - gathered
    return (params - p16_read) * weight_bits / 8.0 + p16_read * 2.0


def expert_weight_bytes_read(m: Model, tokens, weight_bits, shards=1.0):
    """Bytes of routed experts one forward pass over ``tokens`` tokens streams, per shard:
    ``L_moe * touched(tokens) * 3*D*F_e * bits/8 / shards`` (:func:`expected_experts_touched`)."""
    return _n_moe_layers(m) * expected_experts_touched(m, tokens) * expert_params(m) * weight_bits / 8.0 / shards


def weight_bytes_read(m: Model, tokens, weight_bits):
    """Bytes of weights one forward pass over ``tokens`` tokens streams from memory: every
    non-expert weight (:func:`dense_weight_bytes_read`) and the experts the tokens touch."""
    return dense_weight_bytes_read(m, weight_bits) + expert_weight_bytes_read(m, tokens, weight_bits)


def kv_elements_per_token(m: Model):
    """KV-cache elements one token adds over all layers.

    GQA: ``2*K*H*L`` (scaling book: Llama-3-70B 2*8*128*80 = 163,840). MLA caches the
    compressed latent and the shared RoPE key: ``(r_kv + d_rope)*L`` (DeepSeek-V3: 576*61).
    """
    per_layer = jnp.where(m.mla > 0, m.kv_lora_rank + m.qk_rope_head_dim, 2.0 * m.n_kv_heads * m.head_dim)
    return per_layer * m.n_layers


def kv_cache_bytes_per_token(m: Model, kv_bits):
    """KV-cache bytes per token: ``kv_elements_per_token * bits/8``."""
    return kv_elements_per_token(m) * kv_bits / 8.0


def kv_cache_bytes_per_sequence(m: Model, context, kv_bits):
    """KV-cache bytes one sequence of ``context`` tokens holds: full-attention layers keep
    every token, sliding-window layers at most the window (gpt-oss: 18 of 36 layers, 128)."""
    return kv_cache_bytes_per_token(m, kv_bits) / m.n_layers * _attended_tokens_decode(m, context)


def _attended_tokens_decode(m: Model, context):
    """Sum over layers of the positions a new token attends to (windowed layers cap it)."""
    window = jnp.where(m.sliding_window > 0, jnp.minimum(context, m.sliding_window), context)
    return (m.n_layers - m.n_sliding_layers) * context + m.n_sliding_layers * window


def _attended_tokens_prefill(m: Model, prompt):
    """Sum over layers of the mean positions a prompt token attends to (causal: T/2)."""
    window = jnp.where(m.sliding_window > 0, jnp.minimum(prompt / 2.0, m.sliding_window), prompt / 2.0)
    return (m.n_layers - m.n_sliding_layers) * prompt / 2.0 + m.n_sliding_layers * window


def attention_flops_per_position(m: Model, decode: bool):
    """FLOPs of one query head-set against one cached position, one layer.

    GQA: ``4*N*H`` (QK^T and AV). MLA decode runs in the absorbed form over the latent:
    ``2*N*(r_kv + d_rope) + 2*N*r_kv``; MLA prefill in the expanded form
    ``2*N*(d_nope + d_rope) + 2*N*d_v``.
    """
    gqa = 4.0 * m.n_heads * m.head_dim
    if decode:
        mla = 2.0 * m.n_heads * (2.0 * m.kv_lora_rank + m.qk_rope_head_dim)
    else:
        mla = 2.0 * m.n_heads * (m.qk_nope_head_dim + m.qk_rope_head_dim + m.v_head_dim)
    return jnp.where(m.mla > 0, mla, gqa)


def expert_matmul_params_per_token(m: Model):
    """Routed-expert weights that multiply each token: ``(L - L_dense) * k * 3*D*F_e``."""
    return _n_moe_layers(m) * m.n_experts_active * expert_params(m)


def decode_attention_flops(m: Model, batch, context):
    """Attention FLOPs of one decode step: ``B * attn_flops_per_position * attended(context)``."""
    return batch * attention_flops_per_position(m, decode=True) * _attended_tokens_decode(m, context)


def decode_flops(m: Model, batch, context):
    """FLOPs of one decode step: ``B * (2*P_matmul + attn_flops * attended(context))``."""
    return batch * 2.0 * matmul_params_per_token(m) + decode_attention_flops(m, batch, context)


def decode_kv_bytes(m: Model, batch, context, kv_bits):
    """KV-cache bytes one decode step moves: reads of every attended position and the write of
    the new token, ``B * (kv_bytes_per_layer_token * attended(context) + kv_bytes_per_token)``."""
    per_layer_token = kv_cache_bytes_per_token(m, kv_bits) / m.n_layers
    return batch * (per_layer_token * _attended_tokens_decode(m, context) + kv_cache_bytes_per_token(m, kv_bits))


def decode_bytes(m: Model, batch, context, weight_bits, kv_bits):
    """Bytes one decode step moves: weights (touched experts) + KV-cache reads + KV writes,
    ``W(B) +`` :func:`decode_kv_bytes`."""
    return weight_bytes_read(m, batch, weight_bits) + decode_kv_bytes(m, batch, context, kv_bits)


def prefill_attention_flops(m: Model, batch, prompt):
    """Attention FLOPs of a prefill: ``B*T * attn_flops_per_position * attended(T)`` (causal)."""
    return batch * prompt * attention_flops_per_position(m, decode=False) * _attended_tokens_prefill(m, prompt)


def prefill_flops(m: Model, batch, prompt):
    """FLOPs to prefill ``B`` prompts of ``T`` tokens: ``B*T*(2*P_matmul + attn * attended(T))``."""
    return batch * prompt * 2.0 * matmul_params_per_token(m) + prefill_attention_flops(m, batch, prompt)


def prefill_kv_bytes(m: Model, batch, prompt, kv_bits):
    """KV-cache bytes a prefill writes: ``B * T * kv_bytes_per_token``."""
    return batch * prompt * kv_cache_bytes_per_token(m, kv_bits)


def prefill_bytes(m: Model, batch, prompt, weight_bits, kv_bits):
    """Bytes a prefill moves: weights once (touched experts for ``B*T`` tokens) + KV writes."""
    return weight_bytes_read(m, batch * prompt, weight_bits) + prefill_kv_bytes(m, batch, prompt, kv_bits)


# Activations cross chips in 16 bits (TensorRT-LLM, vLLM defaults); how many collectives a
# layer needs depends on the deployment (workbook.model.serving.stage_communication_time).
COMM_BYTES_PER_ELEMENT = 2.0


def collective_message_bytes(m: Model, tokens):
    """Bytes of one collective's message: ``tokens * D * 2``."""
    return tokens * m.d_model * COMM_BYTES_PER_ELEMENT
