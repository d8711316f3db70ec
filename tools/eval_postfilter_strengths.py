"""Kodak BD-rates of the post-filter models with the gate's gain and with the encoder's chosen gain (session 19;
results/postfilter-strengths-s19). Usage: python tools/eval_postfilter_strengths.py OUT_DIR"""
import sys
from swiftlic import eval as ev
from swiftlic.baselines import SwiftLIC
class Gate(SwiftLIC):
    def __init__(self, model):
        super().__init__(model, adapt_postfilter=False)
        self.name = f"swiftlic:{model}-gate"
codecs = [Gate("dwt97-pf-wide"), SwiftLIC("dwt97-pf-wide"), Gate("dwt97-pf"), SwiftLIC("dwt97-pf"), "jpeg2000"]
rep = ev.run("/work/shared/data/kodak", codecs=codecs, bpp=[0.125, 0.25, 0.5, 1, 2], out=sys.argv[1], plots=False, progress=False)
print(ev._format_tables(rep) if hasattr(ev, "_format_tables") else rep)
