'use strict';
// The map on musicrec's page draws one trace type: scattergl. Its "strict" flavour uses
// precompiled WebGL programs, so the page needs no 'unsafe-eval' in its CSP.
var Plotly = require('plotly.js/lib/core');

Plotly.register([require('plotly.js/src/traces/scattergl/strict')]);

module.exports = Plotly;
