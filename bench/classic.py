"""Classic mode against the TensorFlow "Neural style transfer" tutorial, side by side.

    python bench/classic.py [--steps 100] [--quick] [--variants]
                            [--weights PATH --backbone vgg16] [--tutorial-weights]

Both run in this process, on the CPU, on the same images (../shared/images,
else generated ones) and the same VGG weights: by default a seeded random VGG19
written to a temporary file (He-normal kernels, so that feature magnitudes stay
in a trained network's range), or the file given with ``--weights``.

- The baseline follows https://www.tensorflow.org/tutorials/generative/style_transfer:
  its layers, Gram matrix, loss, TV term, ``tf.function`` train step and Adam
  (lr 0.02, beta_1 0.99, epsilon 0.1) on a ``tf.Variable`` started from the
  content image. It is written here and imports nothing from ``nst``.
- Ours is ``nst.classic.stylize`` with the defaults of ``ClassicSettings``
  (optimiser, coarse to fine or not, steps, learning rate) in the precision
  ``NST_PRECISION`` gives, told to optimise the same loss: the tutorial's
  layers, Gram, weights and ``tf.image.total_variation`` term, with no margin,
  through ``nst.classic.costs.Objective``. Beside it run the defaults with the
  other optimiser and with the other schedule; where the default is bfloat16,
  float32's step is timed. ``--variants`` runs every combination of precision, optimiser and
  schedule.
- Quality yardstick: the tutorial's total loss, computed by the baseline's own
  code in float32 on the 512 px image. The baseline's loss after ``--steps``
  steps is the target; each side's time runs from its first target computation
  to its first full-size image at or below it, tracing excluded on both sides.
  Ours is judged every 2 steps of its final stage (judging time left out).
- Weights: the tutorial's were tuned for ImageNet VGG19. With the networks
  here, lowering its loss does not mean stylising: on the HED VGG16 stand-in
  the TV term is 99 % of it and the style term grows while the loss falls; on
  the random VGG19 the loss stays above the content image's for 30+ steps, so
  the untouched photo would "reach" the target. By default the style and
  content weights are balanced for the network at hand: on the content image
  the style term is 10x the TV term, and the content term of one Adam step's
  noise (±0.02 per pixel) is a tenth of the style term. ``--tutorial-weights``
  keeps the tutorial's numbers.

Prints the CPU, its bfloat16 flags and the precision ``auto`` picks; the time
each side needs to reach the baseline's loss; per-step times at 128, 256 and
512 px; the two-styles / one-style cost per step; the preview overhead; and
last ``classic_time_to_quality_ratio`` = baseline time / our time, for the defaults.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import astuple, dataclass, replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from nst.classic import stylize  # noqa: E402
from nst.classic.backbone import BackboneSpec  # noqa: E402
from nst.classic.costs import Objective, raw_mse  # noqa: E402
from nst.classic.evaluator import CostEvaluator, get_evaluator  # noqa: E402
from nst.classic.optimisers import Optimiser, optimiser_for  # noqa: E402
from nst.classic.precision import choose_precision, cpu_description, default_precision  # noqa: E402
from nst.classic.stages import Stage, plan_stages  # noqa: E402
from nst.colors import keep_content_colors  # noqa: E402
from nst.events import Progress  # noqa: E402
from nst.images import fit_longest_side  # noqa: E402
from nst.settings import OPTIMISERS, STRENGTH_MIDDLE, ClassicSettings  # noqa: E402

SHARED = Path(os.environ.get("NST_SHARED_DIR", REPO.parent / "shared"))
IMAGES = ("content/tubingen.jpg", "styles/starry_night.jpg", "styles/great_wave.jpg")
STYLE_OVER_TV = 10.0
CONTENT_NOISE_OVER_STYLE = 0.1
QUICK_STEPS = 3
QUICK_ITERATIONS = 10
"""Our job's length in --quick mode (the defaults only, 128 px); otherwise the default."""
DEFAULTS = ClassicSettings()
PREVIEW_EVERY = 2
"""Our quality runs judge every second step of the final stage (judging time left out)."""

# ---- The tutorial, as written there (VGG19 + ImageNet replaced by the chosen net and file) ----

CONTENT_LAYERS = ["block5_conv2"]
STYLE_LAYERS = ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1"]
STYLE_WEIGHT = 1e-2
CONTENT_WEIGHT = 1e4
TOTAL_VARIATION_WEIGHT = 30
NETWORKS = {
    "vgg19": (keras.applications.VGG19, keras.applications.vgg19.preprocess_input),
    "vgg16": (keras.applications.VGG16, keras.applications.vgg16.preprocess_input),
}


def load_img(image: np.ndarray, max_dim: int) -> tf.Tensor:
    """The tutorial's loader, from decoded pixels: float [0, 1], longest side ``max_dim``."""
    img = tf.image.convert_image_dtype(tf.constant(image), tf.float32)
    shape = tf.cast(tf.shape(img)[:-1], tf.float32)
    scale = max_dim / tf.reduce_max(shape)
    new_shape = tf.cast(shape * scale, tf.int32)
    return tf.image.resize(img, new_shape)[tf.newaxis, :]


def vgg_layers(layer_names: list[str], network: str, weights: str) -> keras.Model:
    vgg = NETWORKS[network][0](include_top=False, weights=weights)
    vgg.trainable = False
    outputs = [vgg.get_layer(name).output for name in layer_names]
    return keras.Model([vgg.input], outputs)


def gram_matrix(input_tensor: tf.Tensor) -> tf.Tensor:
    result = tf.linalg.einsum("bijc,bijd->bcd", input_tensor, input_tensor)
    input_shape = tf.shape(input_tensor)
    num_locations = tf.cast(input_shape[1] * input_shape[2], tf.float32)
    return result / num_locations


class StyleContentModel(keras.Model):
    def __init__(self, style_layers: list[str], content_layers: list[str], network: str, weights):
        super().__init__()
        self.vgg = vgg_layers(style_layers + content_layers, network, weights)
        self.preprocess_input = NETWORKS[network][1]
        self.style_layers = style_layers
        self.content_layers = content_layers
        self.num_style_layers = len(style_layers)
        self.vgg.trainable = False

    def call(self, inputs: tf.Tensor) -> dict[str, dict[str, tf.Tensor]]:
        "Expects float input in [0,1]"
        inputs = inputs * 255.0
        preprocessed_input = self.preprocess_input(inputs)
        outputs = self.vgg(preprocessed_input)
        style_outputs, content_outputs = (
            outputs[: self.num_style_layers],
            outputs[self.num_style_layers :],
        )
        style_outputs = [gram_matrix(style_output) for style_output in style_outputs]
        content_dict = dict(zip(self.content_layers, content_outputs, strict=True))
        style_dict = dict(zip(self.style_layers, style_outputs, strict=True))
        return {"content": content_dict, "style": style_dict}


def clip_0_1(image: tf.Tensor) -> tf.Tensor:
    return tf.clip_by_value(image, clip_value_min=0.0, clip_value_max=1.0)


class Tutorial:
    """The tutorial's targets, loss and training loop for one content and one style image."""

    def __init__(
        self,
        extractor: StyleContentModel,
        content: tf.Tensor,
        style: tf.Tensor,
        weights: tuple[float, float] = (STYLE_WEIGHT, CONTENT_WEIGHT),
    ) -> None:
        self.extractor = extractor
        self.style_weight, self.content_weight = weights
        self.style_targets = extractor(style)["style"]
        self.content_targets = extractor(content)["content"]

    def terms(self, image: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        """Weighted style, content and total-variation terms of the tutorial's loss."""
        outputs = self.extractor(image)
        style_outputs = outputs["style"]
        content_outputs = outputs["content"]
        style_loss = tf.add_n(
            [
                tf.reduce_mean((style_outputs[name] - self.style_targets[name]) ** 2)
                for name in style_outputs
            ]
        )
        style_loss *= self.style_weight / len(STYLE_LAYERS)
        content_loss = tf.add_n(
            [
                tf.reduce_mean((content_outputs[name] - self.content_targets[name]) ** 2)
                for name in content_outputs
            ]
        )
        content_loss *= self.content_weight / len(CONTENT_LAYERS)
        return style_loss, content_loss, TOTAL_VARIATION_WEIGHT * tf.image.total_variation(image)

    def loss(self, image: tf.Tensor) -> tf.Tensor:
        style_loss, content_loss, tv_loss = self.terms(image)
        return style_loss + content_loss + tv_loss

    def trainer(self, content: tf.Tensor) -> tuple[tf.Variable, Callable[[tf.Variable], None]]:
        """The tutorial's image variable, started from the content image, and its train step."""
        image = tf.Variable(content)
        opt = keras.optimizers.Adam(learning_rate=0.02, beta_1=0.99, epsilon=1e-1)

        @tf.function()
        def train_step(image: tf.Variable) -> None:
            with tf.GradientTape() as tape:
                loss = self.loss(image)
            grad = tape.gradient(loss, image)
            opt.apply_gradients([(grad, image)])
            image.assign(clip_0_1(image))

        return image, train_step

    def train(self, content: tf.Tensor, steps: int) -> tuple[tf.Variable, list[float]]:
        """The tutorial's optimisation from the content image; the seconds of each step."""
        image, train_step = self.trainer(content)
        times = []
        for _ in range(steps):
            start = time.perf_counter()
            train_step(image)
            times.append(time.perf_counter() - start)
        return image, times


# ---- The benchmark ----


def tutorial_tv(image: tf.Tensor) -> tf.Tensor:
    """The tutorial's TV term (a sum over the image) as a scalar, for our engine."""
    return tf.image.total_variation(image)[0]


TUTORIAL_OBJECTIVE = Objective(
    style_layers=tuple(STYLE_LAYERS),
    content_layer=CONTENT_LAYERS[0],
    tv_cost=tutorial_tv,
    mse=raw_mse,
    margin=0,
    colour_weight=0.0,
)


@dataclass
class Setup:
    """What both sides share: images at full size, network, weights file, loss weights."""

    content: np.ndarray
    styles: list[np.ndarray]
    names: list[str]
    network: str
    weights: str
    extractor: StyleContentModel
    style_weight: float = STYLE_WEIGHT
    content_weight: float = CONTENT_WEIGHT

    def spec(self, precision: str) -> BackboneSpec:
        return BackboneSpec(self.network, self.weights, precision)

    def engine(self, precision: str) -> CostEvaluator:
        return get_evaluator(self.spec(precision), TUTORIAL_OBJECTIVE)

    def at(self, size: int) -> tuple[tf.Tensor, list[tf.Tensor]]:
        """Content and styles as the tutorial loads them at ``size``."""
        return load_img(self.content, size), [load_img(s, size) for s in self.styles]

    def tutorial(self, size: int) -> Tutorial:
        content, styles = self.at(size)
        return Tutorial(
            self.extractor, content, styles[0], (self.style_weight, self.content_weight)
        )

    def settings(self, size: int, **changes) -> ClassicSettings:
        """Our settings for the tutorial's weights; the rest are our defaults."""
        return ClassicSettings(
            size=size,
            content_weight=self.content_weight,
            style_weight=self.style_weight,
            tv_weight=TOTAL_VARIATION_WEIGHT / self.style_weight,  # ours is relative to style
            style_strength=STRENGTH_MIDDLE,
            **changes,
        )


@dataclass(frozen=True)
class Variant:
    """How ours runs: the engine's precision, the optimiser, one resolution or coarse to fine."""

    precision: str
    optimiser: str
    multires: bool

    @property
    def kind(self) -> str:
        """What one step costs depends on: the optimiser and the precision."""
        return f"{self.optimiser} {self.precision}"

    @property
    def label(self) -> str:
        return (
            f"{self.optimiser}, {'coarse to fine' if self.multires else '1-res'}, {self.precision}"
        )


def variants(every: bool) -> tuple[list[Variant], list[Variant]]:
    """Ours to run to the target, the defaults first; and the kinds of step to time.

    By default the defaults run, and the defaults with the other optimiser or
    the other schedule; float32's step is timed where bfloat16 is the default, not run to the
    target (a float32 job costs minutes). With ``every``, every combination runs.
    """
    default = Variant(default_precision(), DEFAULTS.optimiser, DEFAULTS.multires)
    other_precision = "float32" if default.precision == "bfloat16" else "bfloat16"
    choices = (
        (default.precision, other_precision),
        (default.optimiser, *(o for o in OPTIMISERS if o != default.optimiser)),
        (default.multires, not default.multires),
    )

    def changes(variant: Variant) -> int:
        return sum(a != b for a, b in zip(astuple(variant), astuple(default), strict=True))

    found = sorted((Variant(*values) for values in itertools.product(*choices)), key=changes)
    runs = [v for v in found if every or (changes(v) <= 1 and v.precision == default.precision)]
    # Where auto picks float32, bfloat16 is emulated or slower on this CPU: it is not timed.
    compared = [replace(default, precision="float32")] if default.precision == "bfloat16" else []
    timed = [*runs, *compared]
    kinds = [v for i, v in enumerate(timed) if v.kind not in {u.kind for u in timed[:i]}]
    return runs, kinds


def as_uint8(image: tf.Tensor) -> np.ndarray:
    return np.asarray(tf.round(clip_0_1(image[0]) * 255.0), dtype=np.uint8)


def as_batch(image: np.ndarray) -> tf.Tensor:
    return tf.constant(image[None], tf.float32) / 255.0


def bench_images() -> tuple[list[np.ndarray], list[str]]:
    """The shared photo and two paintings, or generated stand-ins when they are absent."""
    paths = [SHARED / "images" / name for name in IMAGES]
    if all(path.is_file() for path in paths):
        return [np.asarray(Image.open(p).convert("RGB")) for p in paths], [p.name for p in paths]
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:768, 0:1024] / 1024.0
    photo = np.stack([x, y, 1 - x], axis=-1) * 200 + rng.normal(0, 20, (768, 1024, 3))
    rows = np.mgrid[0:512, 0:512][0][..., None]
    strokes = np.sin(rows / 7.0 + np.arange(3)) * 100 + 128 + rng.normal(0, 30, (512, 512, 3))
    waves = np.cos(rows.transpose(1, 0, 2) / 11.0 + np.arange(3)) * 90 + 110
    images = [np.clip(a, 0, 255).astype(np.uint8) for a in (photo, strokes, waves)]
    return images, ["generated photo", "generated strokes", "generated waves"]


def random_weights(network: str, folder: Path) -> str:
    """A seeded random VGG with He-normal kernels and zero biases, saved for both sides."""
    model = NETWORKS[network][0](include_top=False, weights=None)
    rng = np.random.default_rng(0)
    weights = []
    for array in model.get_weights():
        fan_in = np.prod(array.shape[:-1]) if array.ndim == 4 else 1
        values = rng.normal(0.0, np.sqrt(2.0 / fan_in), array.shape) if array.ndim == 4 else 0
        weights.append(np.zeros_like(array) + values)
    model.set_weights(weights)
    path = folder / f"{network}_random_he.weights.h5"
    model.save_weights(path)
    return str(path)


def balanced_weights(setup: Setup, size: int) -> tuple[float, float]:
    """Style and content weights for which lowering the tutorial's loss means stylising.

    On the content image the style term becomes ``STYLE_OVER_TV`` times the TV
    term, and the content term of that image plus the noise of one Adam step
    (±0.02 per pixel) becomes ``CONTENT_NOISE_OVER_STYLE`` of the style term.
    """
    content, styles = setup.at(size)
    unit = Tutorial(setup.extractor, content, styles[0], (1.0, 1.0))
    style, _, tv = unit.terms(content)
    noise = tf.sign(tf.random.stateless_normal(content.shape, seed=(0, 1))) * 0.02
    _, content_noise, _ = unit.terms(clip_0_1(content + noise))
    style_weight = float(STYLE_OVER_TV * tv[0] / style)
    content_weight = float(CONTENT_NOISE_OVER_STYLE * style_weight * style / content_noise)
    return style_weight, content_weight


# ---- Measurements ----

TWO_STYLES = "two styles"
"""Ours with two styles blended, in the defaults' precision and optimiser."""


def median_step(times: list[float]) -> float:
    """The typical step, leaving out the first (it traces the step function)."""
    return statistics.median(times[1:] if len(times) > 1 else times)


def own_optimiser(engine: CostEvaluator, name: str) -> Optimiser:
    """An optimiser of its own: L-BFGS keeps a history that another objective would spoil."""
    return type(optimiser_for(engine, name))(engine)


def step_seconds(setup: Setup, size: int, rounds: int, kinds: list[Variant]) -> dict[str, float]:
    """Median seconds per step at ``size``: the baseline's, and ours of each kind.

    Ours runs with one style in each kind's precision and optimiser, and with
    two styles in the first kind's. All take turns step by step, so they share
    the machine's load.
    """
    content, style_images = setup.at(size)
    image, train_step = setup.tutorial(size).trainer(content)
    photo = content[0].numpy()
    weights = (setup.content_weight, setup.style_weight, TOTAL_VARIATION_WEIGHT)
    contenders = {}
    for variant in kinds:
        engine = setup.engine(variant.precision)
        grams = [engine.style_targets_for(as_uint8(s), size) for s in style_images]
        contenders[variant.kind] = engine, grams[0], own_optimiser(engine, variant.optimiser)
        if variant is kinds[0]:
            blend = [(a + b) / 2 for a, b in zip(*grams, strict=True)]
            contenders[TWO_STYLES] = engine, blend, own_optimiser(engine, variant.optimiser)
    for _, _, optimiser in contenders.values():
        optimiser.start(photo, DEFAULTS.learning_rate)
    times: dict[str, list[float]] = {"baseline": [], **{name: [] for name in contenders}}
    for _ in range(rounds + 1):
        start = time.perf_counter()
        train_step(image)
        times["baseline"].append(time.perf_counter() - start)
        for name, (engine, target, optimiser) in contenders.items():
            engine.set_targets(photo, [target], weights)
            start = time.perf_counter()
            optimiser.step()
            times[name].append(time.perf_counter() - start)
    return {name: median_step(values) for name, values in times.items()}


def our_targets_seconds(setup: Setup, size: int, stages: list[Stage], precision: str) -> float:
    """Seconds our job spends on content and style targets over ``stages`` (cache cleared)."""
    engine = setup.engine(precision)
    content, styles = setup.at(size)
    photo, style = as_uint8(content), as_uint8(styles[0])
    start = time.perf_counter()
    for stage in stages:
        engine.gram_cache.clear()
        engine.style_targets_for(style, stage.size)
        small = fit_longest_side(photo, stage.size)
        engine.content_features(as_batch(small)).numpy()
    return time.perf_counter() - start


def run_ours(
    setup: Setup, size: int, settings: ClassicSettings, precision: str, styles: int = 1
) -> Iterator[Progress]:
    """Our job on the images as the tutorial loads them at ``size``."""
    content, style_images = setup.at(size)
    events = stylize(
        as_uint8(content),
        [as_uint8(s) for s in style_images[:styles]],
        settings,
        backbone=setup.spec(precision),
        objective=TUTORIAL_OBJECTIVE,
    )
    return (e for e in events if isinstance(e, Progress))


def variant_settings(
    setup: Setup, size: int, variant: Variant, iterations: int, **changes
) -> ClassicSettings:
    return setup.settings(
        size,
        iterations=iterations,
        multires=variant.multires,
        optimiser=variant.optimiser,
        **changes,
    )


@dataclass
class Crossing:
    """When our job first reached the target loss, and what it had reached."""

    seconds: float
    step: int
    loss: float
    terms: tuple[float, float, float]


def our_time_to_loss(
    setup: Setup, size: int, target: float, judge: Tutorial, variant: Variant, iterations: int
) -> tuple[Crossing | None, float]:
    """Seconds for our job to produce a full-size image at or below ``target``.

    The judge's loss is computed at every preview of the final stage and its
    time is left out. Also returns our best loss, for when the target is missed.
    """
    setup.engine(variant.precision).gram_cache.clear()
    settings = variant_settings(setup, size, variant, iterations, preview_every=PREVIEW_EVERY)
    judged = 0.0
    best = float("inf")
    events = run_ours(setup, size, settings, variant.precision)
    for event in events:
        start = time.perf_counter()
        terms = final_size_terms(judge, event.image, size)
        if terms is not None:
            best = min(best, sum(terms))
            if sum(terms) <= target:
                events.close()
                return Crossing(event.elapsed - judged, event.step, sum(terms), terms), best
        judged += time.perf_counter() - start
    return None, best


def final_size_terms(
    judge: Tutorial, image: np.ndarray, size: int
) -> tuple[float, float, float] | None:
    """The judge's loss terms of a full-size image; None for a coarse-stage preview."""
    if max(image.shape[:2]) != size:
        return None
    style, content, tv = judge.terms(as_batch(image))
    return float(style), float(content), float(tv[0])


def terms_text(terms: tuple[float, float, float]) -> str:
    return "style {:.3g}, content {:.3g}, TV {:.3g}".format(*terms)


def warm_up(setup: Setup, size: int, chosen: list[Variant]) -> None:
    """One short job of each variant through every stage shape, so no timing includes tracing."""
    for variant in chosen:
        settings = variant_settings(setup, size, variant, iterations=6)
        list(run_ours(setup, size, settings, variant.precision))


def preview_seconds(
    setup: Setup, size: int, iterations: int, default: Variant
) -> tuple[list[float], float]:
    """Seconds one preview takes, once per step of a job, and the seconds of the job itself.

    A preview is the image taken out of the optimiser with the content's
    colours kept (the costlier option); it is timed after a real run, on that
    run's image, so the job's own time holds no preview at all.
    """
    settings = variant_settings(
        setup, size, default, iterations, preview_every=iterations, preserve_colors=True
    )
    (last,) = deque(run_ours(setup, size, settings, default.precision), maxlen=1)
    optimiser = optimiser_for(setup.engine(default.precision), settings.optimiser)
    content = as_uint8(setup.at(size)[0])
    spent: list[float] = []
    for _ in range(iterations):
        start = time.perf_counter()
        keep_content_colors(optimiser.image(), content)
        spent.append(time.perf_counter() - start)
    return spent, last.elapsed


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=None, help="baseline steps (default 100)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 128 px, 3 baseline steps, the defaults only",
    )
    parser.add_argument(
        "--variants", action="store_true", help="every combination, not one change at a time"
    )
    parser.add_argument("--backbone", choices=sorted(NETWORKS), default="vgg19")
    parser.add_argument("--weights", default=None, help="VGG weights file (default: random)")
    parser.add_argument(
        "--tutorial-weights", action="store_true", help="the tutorial's weights, not balanced"
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    size = 128 if args.quick else 512
    timing_sizes = (128,) if args.quick else (128, 256, 512)
    steps = args.steps or (QUICK_STEPS if args.quick else 100)
    images, names = bench_images()
    chosen, kinds = variants(args.variants)
    if args.quick:
        chosen = chosen[:1]
    with tempfile.TemporaryDirectory() as folder:
        weights = args.weights or random_weights(args.backbone, Path(folder))
        extractor = StyleContentModel(STYLE_LAYERS, CONTENT_LAYERS, args.backbone, weights)
        setup = Setup(images[0], images[1:], names, args.backbone, weights, extractor)
        if not args.tutorial_weights:
            setup.style_weight, setup.content_weight = balanced_weights(setup, size)
        report_setup(setup, args, steps, chosen[0])
        ratio = report(setup, size, timing_sizes, steps, args.quick, chosen, kinds)
    print(f"classic_time_to_quality_ratio={ratio:.2f}")


def report_setup(setup: Setup, args: argparse.Namespace, steps: int, default: Variant) -> None:
    model, flags = cpu_description()
    has_gpu = bool(tf.config.list_physical_devices("GPU"))
    auto, why = choose_precision(has_gpu, flags)
    print(f"machine: {model}, {os.cpu_count()} CPU cores, TensorFlow {tf.__version__}")
    print(
        f"bfloat16 flags: {', '.join(sorted(flags)) or 'none'}; NST_PRECISION=auto: {auto} ({why})"
    )
    source = args.weights or "seeded random (He-normal) weights"
    print(f"network: {setup.network}, {source}")
    print(f"ours by default: {default.label}, {DEFAULTS.iterations} steps")
    print(f"images: content {setup.names[0]}, styles {', '.join(setup.names[1:])}")
    origin = "the tutorial's" if args.tutorial_weights else "balanced for this network"
    print(
        f"loss: the tutorial's, weights {origin}: style {setup.style_weight:.4g}, "
        f"content {setup.content_weight:.4g}, TV {TOTAL_VARIATION_WEIGHT}"
    )
    print(f"target: the baseline's loss after {steps} steps")


def report(
    setup: Setup,
    size: int,
    timing_sizes: tuple[int, ...],
    steps: int,
    quick: bool,
    chosen: list[Variant],
    kinds: list[Variant],
) -> float:
    """Print every section; return the defaults' time-to-quality ratio."""
    print(f"\ntime to quality at {size} px, wall clock (tracing excluded on both sides)")
    start = time.perf_counter()
    judge = setup.tutorial(size)
    baseline_targets = time.perf_counter() - start
    content, _ = setup.at(size)
    image, times = judge.train(content, steps)
    terms = final_size_terms(judge, as_uint8(image), size)
    target = float(judge.loss(image)[0])
    baseline = baseline_targets + sum(times[1:]) + median_step(times)
    start_terms = final_size_terms(judge, as_uint8(content), size)
    width = max(len(v.label) for v in chosen)
    print(
        f"  {'start':{width}s}  content image, loss {sum(start_terms):.4g} "
        f"({terms_text(start_terms)})"
    )
    print(
        f"  {'baseline':{width}s}  {baseline:7.1f} s  step {steps}, loss {target:.4g} "
        f"({terms_text(terms)})"
    )
    print(f"  {'':{width}s}  (its first step, which traces, took {times[0]:.1f} s)")
    warm_up(setup, size, chosen)
    iterations = QUICK_ITERATIONS if quick else DEFAULTS.iterations
    crossings: dict[Variant, Crossing] = {}
    for variant in chosen:
        crossing, best = our_time_to_loss(setup, size, target, judge, variant, iterations)
        if crossing is None:
            print(
                f"  {variant.label:{width}s}  not reached in {iterations} steps (best {best:.4g})"
            )
            continue
        crossings[variant] = crossing
        print(
            f"  {variant.label:{width}s}  {crossing.seconds:7.1f} s  step {crossing.step}, loss "
            f"{crossing.loss:.4g} ({terms_text(crossing.terms)})  "
            f"{baseline / crossing.seconds:.2f}x faster"
        )
    stages = [(s.size, s.iterations) for s in plan_stages(size, iterations, True)]
    print(f"  {iterations} steps; coarse to fine {stages}; 1-res: all at {size} px")
    seconds = report_steps(setup, timing_sizes, 2 if quick else 6, kinds)
    ratios = report_corrected(setup, size, steps, baseline_targets, seconds, crossings, iterations)
    return ratios.get(chosen[0], 0.0)


def report_corrected(
    setup: Setup,
    size: int,
    steps: int,
    baseline_targets: float,
    seconds: dict[int, dict[str, float]],
    crossings: dict[Variant, Crossing],
    iterations: int,
) -> dict[Variant, float]:
    """Time to quality from step counts and the per-step times measured taking turns.

    The wall-clock runs above last minutes each on a CPU shared with other
    work, so their ratio carries the load's drift; this one does not.
    """
    baseline = baseline_targets + steps * seconds[size]["baseline"]
    width = max((len(v.label) for v in crossings), default=0)
    print(f"\ntime to quality at {size} px, steps x per-step times measured taking turns")
    print(f"  {'baseline':{width}s}  {baseline:7.1f} s  {steps} steps + targets")
    ratios = {}
    for variant, crossing in crossings.items():
        stages = plan_stages(size, iterations, variant.multires)
        done = [s for s in steps_per_stage(stages, crossing.step) if s.iterations]
        ours = our_targets_seconds(setup, size, done, variant.precision)
        ours += sum(s.iterations * seconds[s.size][variant.kind] for s in done)
        ratios[variant] = baseline / ours
        counts = ", ".join(f"{s.iterations} at {s.size}" for s in done)
        print(
            f"  {variant.label:{width}s}  {ours:7.1f} s  {counts} + targets  "
            f"{ratios[variant]:.2f}x faster"
        )
    return ratios


def steps_per_stage(stages: list[Stage], steps: int) -> list[Stage]:
    """How many of its steps each stage had run after ``steps`` steps in all."""
    done = []
    for stage in stages:
        done.append(Stage(stage.size, min(stage.iterations, steps)))
        steps -= done[-1].iterations
    return done


def report_steps(
    setup: Setup, sizes: tuple[int, ...], rounds: int, kinds: list[Variant]
) -> dict[int, dict[str, float]]:
    """Seconds per step of both sides at each size, and what a second style adds."""
    names = ["baseline", *(v.kind for v in kinds), TWO_STYLES]
    print("\nseconds per step (median, taking turns; ours with one style unless said)")
    print("  size  " + "  ".join(f"{name:>15s}" for name in names) + "  2 styles / 1")
    seconds = {}
    default = kinds[0].kind
    for size in sizes:
        timed = seconds[size] = step_seconds(setup, size, rounds, kinds)
        cells = "  ".join(f"{timed[name]:15.3f}" for name in names)
        print(f"  {size:4d}  {cells}  {timed[TWO_STYLES] / timed[default]:12.3f}")
    print(
        "  baseline / ours: "
        + ", ".join(f"{v.kind} {timed['baseline'] / timed[v.kind]:.2f}x" for v in kinds)
        + f" (at {sizes[-1]} px)"
    )
    print(f"two_styles_step_cost_ratio={timed[TWO_STYLES] / timed[default]:.3f}")
    largest = sizes[-1]
    per_size = {size: timed[default] for size, timed in seconds.items()}
    report_styles(setup, largest, per_size, kinds[0])
    report_previews(setup, largest, 10 if largest < 512 else 20, kinds[0])
    return seconds


def report_styles(
    setup: Setup, size: int, step_seconds: dict[int, float], default: Variant
) -> None:
    """What a second style adds to a default job: its targets, one VGG pass per stage."""
    engine = setup.engine(default.precision)
    _, styles = setup.at(size)
    second = as_uint8(styles[1])
    stages = plan_stages(size, DEFAULTS.iterations, default.multires)
    job = sum(stage.iterations * step_seconds[stage.size] for stage in stages)
    extra = 0.0
    for stage in stages:
        times = []
        for _ in range(3):
            engine.gram_cache.clear()
            start = time.perf_counter()
            engine.style_targets_for(second, stage.size)
            times.append(time.perf_counter() - start)
        extra += statistics.median(times)
    print(
        f"  a default {size} px job ({job:.1f} s of steps) spends {extra:.2f} s on a second "
        f"style's targets: two styles / one = {(job + extra) / job:.3f} per step, all included"
    )


def report_previews(setup: Setup, size: int, iterations: int, default: Variant) -> None:
    """What previews cost, as a share of the run time."""
    spent, elapsed = preview_seconds(setup, size, iterations, default)
    share = sum(spent) / elapsed
    each = statistics.median(spent) * 1000
    print(f"\npreviews at {size} px, content colours kept: {each:.1f} ms each")
    print(f"  every step ({iterations}-step job): {100 * share:.2f} % of run time")
    every = DEFAULTS.preview_every
    print(f"  every {every} steps (the default): {100 * share / every:.2f} % of run time")


if __name__ == "__main__":
    main()
