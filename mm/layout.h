// The model reports the folio layouts it maps in the vocabulary the trace
// format and the capture tool share (trace/layout.h: a header-only leaf, the
// one part of trace/ besides the counter names that mm/ may use).
#ifndef MMREPLAY_MM_LAYOUT_H_
#define MMREPLAY_MM_LAYOUT_H_

#include "trace/layout.h"

namespace mmreplay::mm {

using trace::Layout;
using trace::LayoutBuilder;
using trace::LayoutRun;

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_LAYOUT_H_
