"""Trade-offs between the parties: the public names of the frontier, hydropower and alternative-agreement analyses.

* :mod:`optimizer.analyses.frontier`: the ε-constraint frontier of KZ receipts against KG deliveries (:func:`pareto`);
* :mod:`optimizer.analyses.hydropower`: KG winter energy against KZ summer water (:func:`energy_frontier`);
* :mod:`optimizer.analyses.alternatives`: alternative agreements and clause values.

The command line is :mod:`optimizer.interfaces.cli_tradeoffs`.
"""

from optimizer.analyses.alternatives import (ALT_DELTAS, COMMISSION_PLANS, KG_CLAIM_APR_SEP, alternatives,  # noqa: F401
                                             clause_values, commission_schedule, kg_claim, variants, without)
from optimizer.analyses.frontier import (DOWNSTREAM, FLOOR_TOL, PRICE_TOL, RULES_DOC, UPSTREAM, EpsilonLP,  # noqa: F401
                                         Frontier, party_totals, pareto, receipts)
from optimizer.analyses.hydropower import energy_frontier  # noqa: F401
