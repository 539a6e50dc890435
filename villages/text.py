"""Normalisation of text typed or pasted by users: full-width digits and letters, stray spaces."""
import unicodedata


def normalize_digits(value: str) -> str:
    """NFKC turns full-width digits and letters (０１２, ＡＢＸ) into ASCII and drops odd spaces."""
    return unicodedata.normalize("NFKC", value).strip().replace(" ", "")


def normalize_text(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value).split())
