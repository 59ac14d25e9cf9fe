"""Score modifiers (README.md, "Score modifiers") against the same kernels without one and against FlexAttention
with the same score_mod: `bench.py --sections modifiers`.

For d = 128 bf16 (B = 16384 / N, H = 16), causal and not, each modifier variant of bench_spec.json
(bk_bf16_d128[_causal]_{alibi,softcap,softcap_approx}; the last is `30 * tanh_approx(s / 30)`, timed against Flex's
accurate tanh) is checked first: its forward output and its gradients against FlexAttention
running the same score_mod (and block mask) under torch.compile, within bench.py's bf16 tolerance. Then the forward
and the backward (deterministic dQ) are timed, with the plain kernel of the same shape (bk_bf16_d128[_causal]) and
Flex's forward and backward, in one process. The issue's targets: modifier / plain >= 0.95 (as time: plain / modifier),
ours / Flex >= 1.2."""
import torch


def standard_alibi_slopes(heads):
    """The ALiBi paper's slopes for `heads` query heads (README.md, "Score modifiers")."""
    power = 1 << (heads.bit_length() - 1)
    slopes = [2.0 ** (-8.0 * (i + 1) / power) for i in range(power)]
    slopes += [2.0 ** (-4.0 * (2 * i + 1) / power) for i in range(heads - power)]
    return torch.tensor(slopes, device="cuda", dtype=torch.float32)


def score_mods(heads):
    slopes = standard_alibi_slopes(heads)

    def alibi(score, b, h, q_idx, kv_idx):
        return score - slopes[h] * (q_idx - kv_idx).abs()

    def softcap(score, b, h, q_idx, kv_idx):
        return 30.0 * torch.tanh(score / 30.0)
    # softcap_approx: our kernel's tanh_approx (one tanh.approx.f32) against Flex's accurate tanh.
    return {"alibi": alibi, "softcap": softcap, "softcap_approx": softcap}


def modifier_rows(args, anchors, library, seqlens, out_of_time, helpers):
    """One row per (modifier, causal, N); `helpers` are bench.py's random_inputs, our_forward, our_backward,
    median_ms, relative_error, gradient_errors, anchor_backward and TOLERANCE."""
    rows = []
    d, dtype = 128, torch.bfloat16
    tolerance = helpers.TOLERANCE[dtype]
    for causal in (False, True):
        for n in seqlens:
            if out_of_time():
                return rows, False
            b, h = 16384 // n, 2048 // d
            q, k, v = helpers.random_inputs(b, h, h, n, d, dtype)
            d_o = torch.randn_like(q)
            flops = 4 * b * h * n * n * d / (2 if causal else 1)
            plain = f"bk_bf16_d{d}" + ("_causal" if causal else "")
            plain_fwd, plain_o, plain_lse = helpers.our_forward(library, plain, q, k, v)
            plain_bwd, _ = helpers.our_backward(library, plain, q, k, v, plain_o, plain_lse, d_o, 0)
            plain_ms = (helpers.median_ms(plain_fwd, args.repeats), helpers.median_ms(plain_bwd, args.repeats))
            block_mask = anchors.causal_block_mask(n) if (causal and anchors.flex is not None) else None
            for modifier, score_mod in score_mods(h).items():
                name = f"{plain}_{modifier}"
                row = {"modifier": modifier, "causal": causal, "d": d, "N": n, "B": b, "H": h, "kernel": name,
                       "plain_ms": {"fwd": plain_ms[0], "bwd": plain_ms[1]}}
                fwd, o, lse = helpers.our_forward(library, name, q, k, v)
                bwd, grads = helpers.our_backward(library, name, q, k, v, o, lse, d_o, 0)
                errors = {}
                flex_fwd = flex_bwd = None
                if anchors.flex is not None and not args.no_flex:
                    try:
                        def flex(a, bb, c, score_mod=score_mod):
                            return anchors.flex(a, bb, c, score_mod=score_mod, block_mask=block_mask)
                        with torch.no_grad():
                            reference = flex(q, k, v)
                        flex_bwd = helpers.anchor_backward(flex, q, k, v, d_o)
                        errors = helpers.gradient_errors(grads, flex_bwd())
                        errors["o"] = helpers.relative_error(o, reference)
                        flex_fwd = lambda: flex(q, k, v)  # noqa: E731
                    except Exception as error:  # noqa: BLE001 - Flex missing or refusing this shape
                        row["flex_error"] = str(error).splitlines()[0][:160]
                finite = all(bool(torch.isfinite(t).all()) for t in (o,) + tuple(grads))
                row["errors_vs_flex"] = errors
                row["check"] = "pass" if finite and all(e <= tolerance for e in errors.values()) else "FAIL"
                if row["check"] == "pass":
                    ms = {"fwd": helpers.median_ms(fwd, args.repeats), "bwd": helpers.median_ms(bwd, args.repeats)}
                    row["ms"] = ms
                    row["tflops_fwd"] = flops / (ms["fwd"] * 1e-3) / 1e12
                    row["vs_plain_fwd"] = plain_ms[0] / ms["fwd"]
                    row["vs_plain_bwd"] = plain_ms[1] / ms["bwd"]
                    if flex_fwd is not None:
                        row["flex_ms"] = {"fwd": helpers.median_ms(flex_fwd, args.repeats),
                                          "bwd": helpers.median_ms(flex_bwd, args.repeats)}
                        row["vs_flex_fwd"] = row["flex_ms"]["fwd"] / ms["fwd"]
                        row["vs_flex_bwd"] = row["flex_ms"]["bwd"] / ms["bwd"]
                print(f"modifier {modifier} causal={causal} N={n} [{row['check']}] "
                      + " ".join(f"{key}={row[key]:.3f}" for key in ("vs_plain_fwd", "vs_plain_bwd", "vs_flex_fwd",
                                                                      "vs_flex_bwd", "tflops_fwd") if key in row)
                      + (f" | errors vs flex {max(errors.values()):.1e}" if errors else "")
                      + (f" | flex: {row['flex_error']}" if "flex_error" in row else ""), flush=True)
                rows.append(row)
                del fwd, bwd, o, lse, grads
            del q, k, v, d_o, plain_fwd, plain_bwd, plain_o, plain_lse
            torch.cuda.empty_cache()
    return rows, True


def markdown(rows):
    """The section of BENCH.md: time ratios (higher is better for us)."""
    if not rows:
        return ""
    lines = ["", "## Score modifiers (bf16, d = 128, H = 16, B·N = 16384)", "",
             "Ratios of times: plain / modifier (the target is >= 0.95) and FlexAttention with the same score_mod / "
             "ours (the target is >= 1.2); backward with deterministic dQ, Flex through autograd.", "",
             "| modifier | causal | N | check | fwd vs plain | bwd vs plain | fwd vs Flex | bwd vs Flex | fwd TFLOP/s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        cell = lambda key: f"{r[key]:.2f}" if key in r else "—"  # noqa: E731
        lines.append(f"| {r['modifier']} | {'yes' if r['causal'] else 'no'} | {r['N']} | {r['check']} | "
                     f"{cell('vs_plain_fwd')} | {cell('vs_plain_bwd')} | {cell('vs_flex_fwd')} | {cell('vs_flex_bwd')} | "
                     f"{r['tflops_fwd']:.0f} |" if "tflops_fwd" in r else
                     f"| {r['modifier']} | {'yes' if r['causal'] else 'no'} | {r['N']} | {r['check']} | — | — | — | — | — |")
    return "\n".join(lines) + "\n"

