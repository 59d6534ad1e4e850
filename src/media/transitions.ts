/** Transition names (the storyboard's) and the xfade transition each one maps to. Pure. */

export type TransitionName =
  | 'cut'
  | 'crossfade'
  | 'dissolve'
  | 'fadeblack'
  | 'fadewhite'
  | 'wipeleft'
  | 'wiperight'
  | 'wipeup'
  | 'wipedown'
  | 'slideleft'
  | 'slideright'
  | 'slideup'
  | 'slidedown';

export const XFADE: Record<Exclude<TransitionName, 'cut'>, string> = {
  crossfade: 'fade',
  dissolve: 'dissolve',
  fadeblack: 'fadeblack',
  fadewhite: 'fadewhite',
  wipeleft: 'wipeleft',
  wiperight: 'wiperight',
  wipeup: 'wipeup',
  wipedown: 'wipedown',
  slideleft: 'slideleft',
  slideright: 'slideright',
  slideup: 'slideup',
  slidedown: 'slidedown',
};

export const TRANSITIONS = Object.keys(XFADE) as Exclude<TransitionName, 'cut'>[];
