"""Prompts written outside the corpus templates, for judging Language2Motion on language it never saw.

:data:`PARAPHRASES` describe what a face does, in the words a person would use, without any emotion
word of the Open3DFaceVid lexicon (names and synonyms; a test checks whole words), each with the
emotion family a reader would name. They were written by hand for this evaluation and are never
used in training or tuning (:data:`VALIDATION_PARAPHRASES` are for tuning). Families whose faces
have no distinctive description (e.g. pride, embarrassment) are left out rather than described by
their name.

:data:`INTENSITY_PAIRS` builds the intensity-word pairs: one template prompt per family with a weak
and a strong intensity word; generated motion should be read as more intense for the strong word.
"""
from __future__ import annotations

PARAPHRASES: tuple[tuple[str, str], ...] = (
    ("Her brows slam down and her lips press into a hard line.", "anger"),
    ("He glares with lowered brows, his jaw set and his lips pressed thin.", "anger"),
    ("A man scowls hard, brows knotted, lips squeezed together.", "anger"),
    ("The corners of her mouth pull up and her cheeks lift, crinkling the eyes.", "joy"),
    ("He beams from ear to ear, cheeks raised and teeth showing.", "joy"),
    ("A woman breaks into a broad, bright grin that reaches her eyes.", "joy"),
    ("The inner ends of her brows rise and the corners of her mouth droop.", "sadness"),
    ("His mouth turns down at the corners and his brows tilt up in the middle, lids heavy.", "sadness"),
    ("A man's lower lip pushes up and trembles as his gaze sinks.", "sadness"),
    ("Her brows shoot up, her eyes go wide and her jaw falls open.", "surprise"),
    ("He raises his eyebrows high and his mouth drops open in an O.", "surprise"),
    ("A woman's eyes pop wide open and her mouth falls slack for a moment.", "surprise"),
    ("Her eyes stretch wide, brows pulled up and together, lips drawn back tight.", "fear"),
    ("He stares wide-eyed with raised, knitted brows and his mouth stretched sideways.", "fear"),
    ("A man's eyes widen, his brows pinch upward and his lips pull back tight.", "fear"),
    ("She wrinkles her nose and curls her upper lip as if at a foul smell.", "disgust"),
    ("His nose scrunches up and his upper lip lifts, the mouth corners pulled down.", "disgust"),
    ("A woman recoils with a crinkled nose and a raised upper lip.", "disgust"),
    ("One corner of her mouth tightens into a lopsided half-smile.", "contempt"),
    ("He lifts one side of his upper lip in a one-sided sneer and looks down his nose.", "contempt"),
    ("A man's mouth pulls up on one side only, unamused.", "contempt"),
    ("Her eyes squeeze shut and her face crumples, brows lowered, teeth clenched.", "pain"),
    ("He screws up his eyes and bares his clenched teeth, the whole face tight.", "pain"),
    ("A woman's eyelids droop, her face goes slack and she yawns.", "tiredness"),
    ("His lids hang low and keep closing, the mouth loose and the head sagging.", "tiredness"),
    ("She tilts her head, pinches her brows together and pulls her mouth to one side.", "confusion"),
    ("He frowns quizzically, one brow lower than the other, and purses his lips.", "confusion"),
    ("She raises one eyebrow and narrows her eyes, lips pressed to one side.", "skepticism"),
    ("He squints with one brow cocked up, the mouth pulled into a doubting twist.", "skepticism"),
    ("Her face stays still, with no expression at all.", "neutral"),
    ("A man looks straight ahead with a slack, motionless face.", "neutral"),
    ("Her face softens, the lids half lowered and a small easy smile resting on the lips.", "calm"),
    ("His features are loose and still, breathing slowly with the eyes softly lowered.", "calm"),
)

#: a second, disjoint set in the same spirit, for training choices (``tdmm_eval l2m-validation``): the set above
#: stays untouched by tuning. Written separately; a test checks the two share no sentence.
VALIDATION_PARAPHRASES: tuple[tuple[str, str], ...] = (
    ("His forehead bunches into a deep frown and his mouth clamps shut.", "anger"),
    ("She narrows her eyes to slits under heavy, lowered brows and sets her lips tight.", "anger"),
    ("A woman smiles so widely her eyes nearly close.", "joy"),
    ("His whole face lights up in a toothy smile, the cheeks pushed high.", "joy"),
    ("Her chin wobbles, the mouth corners sink and the brows bend upward in the middle.", "sadness"),
    ("He looks down with a crumpled forehead and a drooping, downturned mouth.", "sadness"),
    ("His eyebrows fly up and his mouth hangs open.", "surprise"),
    ("She gapes, eyes round and brows lifted high.", "surprise"),
    ("His eyes bulge open and his lips stretch back in a strained grimace, brows drawn up.", "fear"),
    ("She goes rigid, eyes wide and staring, mouth pulled tight toward her ears.", "fear"),
    ("He crinkles his nose and pulls his upper lip up as if tasting something rotten.", "disgust"),
    ("Her nose bunches up and her top lip curls away from her teeth.", "disgust"),
    ("He smirks with just one side of his mouth.", "contempt"),
    ("She curls one corner of her lips into a cold, lopsided smirk.", "contempt"),
    ("He winces hard, eyes screwed shut and nose crinkled.", "pain"),
    ("She grimaces, squeezing her eyes and lowering her brows tight.", "pain"),
    ("Her eyelids sink half shut and her face hangs loose.", "tiredness"),
    ("He can barely keep his heavy eyes open.", "tiredness"),
    ("He cocks one brow, squints and twists his mouth to the side.", "skepticism"),
    ("She arches a single eyebrow, lips pursed to one side.", "skepticism"),
    ("He knits one brow lower than the other and tilts his head as if puzzling something out.", "confusion"),
    ("His face shows nothing; the features rest still.", "neutral"),
    ("She stares ahead blankly without moving a muscle.", "neutral"),
    ("He rests with soft, lowered lids and the faintest smile.", "calm"),
)

WEAK_WORD, STRONG_WORD = "slightly", "extremely"
INTENSITY_TEMPLATE = "A person looks {intensity} {emotion}."
#: the validation pairs use another sentence around the same words
VALIDATION_INTENSITY_TEMPLATE = "A woman seems {intensity} {emotion} while facing the camera."
#: one everyday word per emotion family for the intensity pairs (lexicon names, in the corpus's own style)
INTENSITY_EMOTIONS: tuple[str, ...] = ("happy", "angry", "sad", "surprised", "afraid", "disgusted", "contemptuous", "tired",
                                       "confused", "skeptical", "in pain", "proud", "embarrassed", "bored", "interested",
                                       "calm", "determined", "loving", "ashamed", "in awe")


def intensity_pairs(template: str = INTENSITY_TEMPLATE) -> list[tuple[str, str]]:
    """(weak prompt, strong prompt) for each of :data:`INTENSITY_EMOTIONS` (``template`` has ``{intensity}``
    and ``{emotion}``; :data:`VALIDATION_INTENSITY_TEMPLATE` for training choices)."""
    return [(template.format(intensity=WEAK_WORD, emotion=e), template.format(intensity=STRONG_WORD, emotion=e))
            for e in INTENSITY_EMOTIONS]
